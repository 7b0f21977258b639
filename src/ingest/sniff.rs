//! Cheap format sniffing by magic bytes.
//!
//! The batch pipeline receives files whose extension cannot be trusted
//! (`.docx` files that are really Word 97-2003 binaries, password-protected
//! packages, plain text renamed by hand).  Looking at the first bytes lets the
//! caller give a precise diagnosis instead of a generic "corrupt zip" error.

/// What the leading bytes of a file say about its container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SniffedFormat {
    /// A zip archive (local file header `PK\x03\x04`, or the end-of-central-
    /// directory record `PK\x05\x06` that starts an empty archive).
    Zip,
    /// An OLE2 / Compound File Binary container (`D0 CF 11 E0 A1 B1 1A E1`):
    /// legacy `.doc`, or an encrypted OOXML package.
    Ole2,
    /// Anything else with at least one byte.
    Text,
    /// Zero bytes.
    Empty,
}

/// What kind of document an OLE2 compound file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ole2Kind {
    /// An OOXML package encrypted with a password (MS-OFFCRYPTO): the real
    /// zip is stored in an `EncryptedPackage` stream.
    EncryptedOoxml,
    /// A Word 97-2003 binary document (has a `WordDocument` stream).
    LegacyWord,
    /// Some other compound file (Excel .xls, PowerPoint .ppt, MSG, ...).
    Other,
}

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Classifies `bytes` by its magic number.
pub fn sniff(bytes: &[u8]) -> SniffedFormat {
    if bytes.is_empty() {
        SniffedFormat::Empty
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        SniffedFormat::Zip
    } else if bytes.starts_with(&OLE2_MAGIC) {
        SniffedFormat::Ole2
    } else {
        SniffedFormat::Text
    }
}

/// Encodes an ASCII name as UTF-16LE, the form OLE2 directory entries use.
fn utf16le(name: &str) -> Vec<u8> {
    name.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Tells an encrypted OOXML package from a legacy Word file without parsing
/// the compound file: the directory entry names are stored as UTF-16LE
/// strings, so a byte search for them is reliable enough for a diagnosis and
/// needs no OLE2 parser.  Encryption is checked first because an encrypted
/// package never holds a `WordDocument` stream, while the reverse check could
/// be fooled by document text that mentions the stream names.
pub fn ole2_kind(bytes: &[u8]) -> Ole2Kind {
    let has = |name: &str| memchr::memmem::find(bytes, &utf16le(name)).is_some();
    if has("EncryptedPackage") || has("EncryptionInfo") {
        Ole2Kind::EncryptedOoxml
    } else if has("WordDocument") {
        Ole2Kind::LegacyWord
    } else {
        Ole2Kind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(b""), SniffedFormat::Empty);
        assert_eq!(sniff(b"PK\x03\x04rest"), SniffedFormat::Zip);
        assert_eq!(sniff(b"PK\x05\x06\0\0"), SniffedFormat::Zip);
        assert_eq!(sniff(&OLE2_MAGIC), SniffedFormat::Ole2);
        assert_eq!(sniff("一、工作总结".as_bytes()), SniffedFormat::Text);
        // A lone "PK" is not a zip.
        assert_eq!(sniff(b"PK"), SniffedFormat::Text);
    }

    #[test]
    fn ole2_kinds_from_names() {
        let mut word = OLE2_MAGIC.to_vec();
        word.extend(utf16le("WordDocument"));
        assert_eq!(ole2_kind(&word), Ole2Kind::LegacyWord);

        let mut enc = OLE2_MAGIC.to_vec();
        enc.extend(utf16le("EncryptionInfo"));
        enc.extend(utf16le("EncryptedPackage"));
        assert_eq!(ole2_kind(&enc), Ole2Kind::EncryptedOoxml);

        let mut xls = OLE2_MAGIC.to_vec();
        xls.extend(utf16le("Workbook"));
        assert_eq!(ole2_kind(&xls), Ole2Kind::Other);
    }
}
