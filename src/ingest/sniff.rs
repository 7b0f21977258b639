//! Placeholder until the format sniffer lands (branch `docx`).
pub enum SniffedFormat {
    Zip,
    Ole2,
    Text,
    Empty,
}
pub enum Ole2Kind {
    EncryptedOoxml,
    LegacyWord,
    Other,
}
pub fn sniff(bytes: &[u8]) -> SniffedFormat {
    if bytes.is_empty() {
        SniffedFormat::Empty
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        SniffedFormat::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        SniffedFormat::Ole2
    } else {
        SniffedFormat::Text
    }
}
pub fn ole2_kind(_bytes: &[u8]) -> Ole2Kind {
    Ole2Kind::Other
}
