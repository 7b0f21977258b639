//! Plain-text decoding: BOM sniffing, UTF-8 validation, then a statistical
//! guess (chardetng) for legacy encodings such as GB18030/GBK. Bytes that
//! cannot be decoded reject the file: characters are never replaced silently.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// Why a text file could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("bytes at offset {offset} are not valid {encoding}: refusing to replace characters")]
    Malformed {
        encoding: &'static str,
        offset: usize,
    },
    #[error("binary data (NUL byte at offset {offset}) in a text file")]
    Binary { offset: usize },
    #[error(
        "mixed encodings: a UTF-8 stretch at offset {utf8_at} but bytes at offset {bad_at} are not UTF-8: refusing to guess"
    )]
    Mixed { utf8_at: usize, bad_at: usize },
    #[error("unknown encoding label {0:?} (try UTF-8, GB18030, GBK, UTF-16LE, UTF-16BE, Big5)")]
    UnknownEncoding(String),
}

/// Decoded text and the encoding it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    /// Canonical encoding name (`UTF-8`, `UTF-16LE`, `gb18030`, …).
    pub encoding: &'static str,
    /// A byte order mark was present (and is not part of `text`).
    pub bom: bool,
}

/// Resolve a user-given encoding label (`--encoding`). GBK and GB2312 map to
/// GB18030, which is their superset.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding, DecodeError> {
    let l = label.trim().to_ascii_lowercase();
    let enc = match l.as_str() {
        "gbk" | "gb2312" | "gb18030" | "cp936" => Some(GB18030),
        "utf-16" | "utf16" => Some(UTF_16LE),
        _ => Encoding::for_label(l.as_bytes()),
    };
    enc.ok_or_else(|| DecodeError::UnknownEncoding(label.to_string()))
}

/// A user's own small text file (a `--manifest` CSV, a `--dict-dir` data
/// file) as text: UTF-8 (a BOM dropped), else GB18030/GBK, as Excel or
/// Notepad on a Chinese Windows saves it. Not [`decode`]'s statistical
/// guess: such files are often a few lines, too short to tell GBK from
/// Big5 by frequencies.
pub fn decode_user_text(bytes: Vec<u8>) -> Result<String, &'static str> {
    match String::from_utf8(bytes) {
        Ok(t) => Ok(match t.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => t,
        }),
        Err(e) => GB18030
            .decode_without_bom_handling_and_without_replacement(e.as_bytes())
            .map(std::borrow::Cow::into_owned)
            .ok_or("neither UTF-8 nor GB18030/GBK text"),
    }
}

/// Decode text bytes. With `forced`, that encoding is used (a BOM that
/// agrees with it is still stripped); otherwise the encoding is detected.
pub fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> Result<Decoded, DecodeError> {
    let (bom_enc, bom_len) = match Encoding::for_bom(bytes) {
        Some((e, n)) => (Some(e), n),
        None => (None, 0),
    };
    let (enc, skip) = match (forced, bom_enc) {
        (Some(f), Some(b)) if f == b => (f, bom_len),
        (Some(f), _) => (f, 0),
        (None, Some(b)) => (b, bom_len),
        (None, None) => {
            // Valid UTF-8 (most files) is validated once here, not again by
            // the mixed-encoding test, the detection and the decoding.
            if let Ok(text) = std::str::from_utf8(bytes) {
                if let Some(offset) = memchr::memchr(0, bytes) {
                    return Err(DecodeError::Binary { offset });
                }
                return Ok(Decoded {
                    text: text.to_string(),
                    encoding: UTF_8.name(),
                    bom: false,
                });
            }
            if let Some(e) = mixed_utf8(bytes) {
                return Err(e);
            }
            (detect(bytes), 0)
        }
    };
    let body = &bytes[skip..];
    if enc != UTF_16LE && enc != UTF_16BE {
        if let Some(offset) = memchr::memchr(0, body) {
            return Err(DecodeError::Binary {
                offset: offset + skip,
            });
        }
    }
    let text = decode_strict(enc, body).map_err(|offset| DecodeError::Malformed {
        encoding: enc.name(),
        offset: offset + skip,
    })?;
    if enc == UTF_16LE || enc == UTF_16BE {
        if let Some(i) = text.find('\0') {
            return Err(DecodeError::Binary {
                offset: skip + 2 * text[..i].encode_utf16().count(),
            });
        }
    }
    Ok(Decoded {
        text,
        encoding: enc.name(),
        bom: skip > 0,
    })
}

/// UTF-8 when the bytes are valid UTF-8 (nearly every legacy Chinese file
/// fails that test quickly); then GB18030 when the bytes are plainly GB
/// Chinese text (see [`plainly_gb_chinese`]); else chardetng's guess, with
/// GBK widened to GB18030 so that every GBK file decodes.
fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    if plainly_gb_chinese(bytes) {
        return GB18030;
    }
    chardetng_guess(bytes)
}

/// chardetng's guess over a bounded prefix, GBK widened to GB18030.
fn chardetng_guess(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // Feeding a bounded prefix keeps detection cheap: 64 KB of Chinese
    // text is tens of thousands of characters, plenty to tell GB18030 from
    // Big5 or a Latin encoding.
    let sample = &bytes[..bytes.len().min(1 << 16)];
    det.feed(sample, sample.len() == bytes.len());
    let guess = det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    if guess == encoding_rs::GBK {
        GB18030
    } else {
        guess
    }
}

/// Fewest multi-byte characters for the GB fast path: below this, the
/// statistics say too little and chardetng (cheap on so few bytes) decides.
const GB_FAST_MIN_CHARS: usize = 16;

/// True when `bytes` decode as GB18030 without error AND read like Chinese
/// text: most multi-byte characters are GB2312 level-1 hanzi (lead bytes
/// 0xB0–0xD7, the 3755 frequent characters that cover ~99% of running
/// Chinese) or GB2312 punctuation and full-width forms (leads 0xA1–0xA3),
/// with the hanzi the majority. chardetng is slow per byte and would say
/// GBK for such text anyway. Other encodings fail the test: Big5 text read
/// as GBK lands on kana, Greek, box drawing and user-defined rows and on
/// trail bytes below 0xA1; Shift-JIS lands on rare GBK-extension hanzi
/// (leads 0x81–0xA0) or fails to decode. Those files fall through to chardetng.
fn plainly_gb_chinese(bytes: &[u8]) -> bool {
    let (mut multi, mut level1, mut punct) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        // ASCII runs: skip without classifying byte by byte.
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        if !(0x81..=0xFE).contains(&b) {
            return false;
        }
        let Some(&t) = bytes.get(i + 1) else {
            return false;
        };
        if t.is_ascii_digit() {
            // Four-byte GB18030 sequence: byte, digit, byte, digit.
            match bytes.get(i + 2..i + 4) {
                Some([c, d]) if (0x81..=0xFE).contains(c) && d.is_ascii_digit() => {}
                _ => return false,
            }
            multi += 1;
            i += 4;
            continue;
        }
        if !(0x40..=0xFE).contains(&t) || t == 0x7F {
            return false;
        }
        multi += 1;
        if (0xA1..=0xFE).contains(&t) {
            match b {
                0xB0..=0xD7 => level1 += 1,
                0xA1..=0xA3 => punct += 1,
                _ => {}
            }
        }
        i += 2;
    }
    if multi < GB_FAST_MIN_CHARS || level1 * 2 < multi || (level1 + punct) * 100 < multi * 85 {
        return false;
    }
    // The byte structure is valid; a strict decode also rejects the
    // sequences GB18030 leaves unmapped (e.g. four-byte codes past the
    // table), exactly as the decode after detection would.
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut scratch = [0u8; 4096];
    let mut rest = bytes;
    loop {
        let (result, read, _) =
            decoder.decode_to_utf8_without_replacement(rest, &mut scratch, true);
        rest = &rest[read..];
        match result {
            encoding_rs::DecoderResult::InputEmpty => return true,
            encoding_rs::DecoderResult::OutputFull => continue,
            encoding_rs::DecoderResult::Malformed(..) => return false,
        }
    }
}

/// Characters of three or more UTF-8 bytes (CJK ideographs and full-width
/// punctuation are three) in one unbroken valid UTF-8 stretch from which a
/// file that is not valid UTF-8 as a whole is judged to mix encodings.
/// In legacy Chinese text (GBK) a three-byte UTF-8 sequence needs a lead
/// byte E0-EF followed by two bytes 80-BF, which GBK's byte ranges rarely
/// line up to: every CJK ideograph in Unicode order, encoded as GBK, gives
/// runs of at most 3; real reports at most 2.
const MIXED_UTF8_RUN: usize = 12;

/// A file that is not valid UTF-8 but holds a long valid UTF-8 stretch of
/// non-ASCII text was pasted together from two encodings (or is UTF-8 with
/// damaged bytes). Any single decoder would turn one part into mojibake
/// silently, so it is rejected with both offsets instead.
fn mixed_utf8(bytes: &[u8]) -> Option<DecodeError> {
    let first_bad = std::str::from_utf8(bytes).err()?.valid_up_to();
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let wide = valid.chars().filter(|c| c.len_utf8() >= 3).count();
        if wide >= MIXED_UTF8_RUN {
            let lead = valid.len() - valid.trim_start_matches(|c: char| c.is_ascii()).len();
            let utf8_at = at + lead;
            // Report the bad bytes nearest to the UTF-8 stretch: the first
            // ones after it, or the first in the file if it runs to the end.
            let after = at + valid.len();
            let bad_at = if after < bytes.len() {
                after
            } else {
                first_bad
            };
            return Some(DecodeError::Mixed { utf8_at, bad_at });
        }
        at += valid.len() + chunk.invalid().len();
    }
    None
}

/// Decode without replacement; on failure, the byte offset of the first
/// malformed sequence.
fn decode_strict(enc: &'static Encoding, body: &[u8]) -> Result<String, usize> {
    if enc == UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => Err(e.valid_up_to()),
        };
    }
    let mut decoder = enc.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .unwrap_or(body.len() * 3 + 16);
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, _) => Err(read.saturating_sub(bad as usize)),
        encoding_rs::DecoderResult::OutputFull => Err(read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "　　县科协2024年共举办培训12期，受训人数达1500多人(次)。\n";

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode(SAMPLE.as_bytes(), None).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding, d.bom),
            (SAMPLE, "UTF-8", false)
        );
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(SAMPLE.as_bytes());
        let d = decode(&b, None).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding, d.bom),
            (SAMPLE, "UTF-8", true)
        );
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in SAMPLE.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&le, None).unwrap().text, SAMPLE);
        assert_eq!(decode(&le, None).unwrap().encoding, "UTF-16LE");
        assert_eq!(decode(&be, None).unwrap().text, SAMPLE);
        assert_eq!(decode(&be, None).unwrap().encoding, "UTF-16BE");
    }

    #[test]
    fn gb18030_detected_without_bom() {
        let text = SAMPLE.repeat(3);
        let (bytes, _, bad) = GB18030.encode(&text);
        assert!(!bad);
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, "gb18030");
        assert_eq!(d.text, text);
    }

    /// A longer report-like passage: the fast path needs a few characters.
    const PASSAGE: &str = "今年以来，县科协紧紧围绕县委县政府中心工作，深入开展科普宣传活动，\
        全年共举办各类培训班十二期，受训农民一千五百多人次，发放宣传资料三万余份。\n\
        下一步，我们将继续加强基层组织建设，推动全民科学素质提升。\n";

    #[test]
    fn gb18030_chinese_takes_the_fast_path() {
        for text in [PASSAGE.to_string(), SAMPLE.repeat(3)] {
            let (bytes, _, bad) = GB18030.encode(&text);
            assert!(!bad);
            assert!(plainly_gb_chinese(&bytes), "{text}");
            let d = decode(&bytes, None).unwrap();
            assert_eq!((d.text.as_str(), d.encoding), (text.as_str(), "gb18030"));
        }
        // Too little text to judge: left to chardetng.
        let (short, _, _) = GB18030.encode("科协");
        assert!(!plainly_gb_chinese(&short));
        assert_eq!(decode(&short, None).unwrap().text, "科协");
    }

    #[test]
    fn big5_chinese_falls_through_to_chardetng() {
        let traditional = "今年以來，縣科協緊緊圍繞縣委縣政府中心工作，深入開展科普宣傳活動，\
            全年共舉辦各類培訓班十二期，受訓農民一千五百多人次，發放宣傳資料三萬餘份。\n";
        let (bytes, _, bad) = encoding_rs::BIG5.encode(traditional);
        assert!(!bad);
        assert!(!plainly_gb_chinese(&bytes));
        // Decided by chardetng exactly as before the fast path existed
        // (on a line this short its "cn" hint may still prefer GBK).
        assert_eq!(detect(&bytes), chardetng_guess(&bytes));
        let long = traditional.repeat(20);
        let (bytes, _, _) = encoding_rs::BIG5.encode(&long);
        assert!(!plainly_gb_chinese(&bytes));
        assert_eq!(detect(&bytes), chardetng_guess(&bytes));
    }

    #[test]
    fn shift_jis_japanese_is_not_taken_as_gb18030() {
        let japanese = "本日は晴天なり。東京都の科学技術協会は、今年も多くの講習会を開催しました。\
            参加者は千五百人を超え、資料も三万部を配布しました。\n";
        let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(japanese);
        assert!(!bad);
        assert!(!plainly_gb_chinese(&bytes));
        assert_eq!(detect(&bytes), chardetng_guess(&bytes));
    }

    #[test]
    fn fast_path_never_panics_on_truncated_sequences() {
        let (bytes, _, _) = GB18030.encode(PASSAGE);
        for cut in 0..bytes.len().min(64) {
            let _ = plainly_gb_chinese(&bytes[..cut]);
            let _ = plainly_gb_chinese(&bytes[cut..]);
        }
        assert!(!plainly_gb_chinese(&[0x81, 0x30, 0x81]));
        assert!(!plainly_gb_chinese(&[0xB0]));
    }

    #[test]
    fn forced_encoding_is_used() {
        let (bytes, _, _) = GB18030.encode(SAMPLE);
        let d = decode(&bytes, Some(encoding_for_label("GBK").unwrap())).unwrap();
        assert_eq!(d.text, SAMPLE);
        // Forcing UTF-8 on GBK bytes reports where decoding failed.
        let e = decode(&bytes, Some(UTF_8)).unwrap_err();
        assert!(
            matches!(
                e,
                DecodeError::Malformed {
                    encoding: "UTF-8",
                    offset: 0
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn undecodable_bytes_reject_with_offset() {
        // 0xFF can start no GB18030 sequence.
        let mut b = "科协".as_bytes().to_vec();
        b.truncate(4);
        let mut gb = GB18030.encode("县科协工作总结，共举办培训").0.into_owned();
        gb.push(0xFF);
        gb.push(0xFF);
        let e = decode(&gb, Some(GB18030)).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Malformed {
                encoding: "gb18030",
                offset: gb.len() - 2
            }
        );
        assert!(decode(&b, Some(UTF_8)).is_err());
    }

    #[test]
    fn nul_bytes_are_binary() {
        assert_eq!(
            decode(b"abc\0def", None).unwrap_err(),
            DecodeError::Binary { offset: 3 }
        );
    }

    #[test]
    fn mixed_encodings_are_rejected_not_guessed() {
        let utf8 = "县科协2024年共举办培训12期，受训人数达1500多人次。";
        let (gbk, _, _) = GB18030.encode("乡镇科协工作总结：全年开展科普活动三十场。");
        let mut mixed = gbk.to_vec();
        mixed.extend_from_slice(utf8.as_bytes());
        assert_eq!(
            decode(&mixed, None).unwrap_err(),
            DecodeError::Mixed {
                utf8_at: gbk.len(),
                bad_at: 0
            }
        );
        // UTF-8 with one damaged byte in the middle.
        let mut damaged = utf8.repeat(2).into_bytes();
        damaged.insert(utf8.len(), 0xFF);
        assert_eq!(
            decode(&damaged, None).unwrap_err(),
            DecodeError::Mixed {
                utf8_at: 0,
                bad_at: utf8.len()
            }
        );
        // Forcing an encoding skips the check: the user decided.
        assert!(!matches!(
            decode(&mixed, Some(GB18030)),
            Err(DecodeError::Mixed { .. })
        ));
    }

    #[test]
    fn long_gbk_text_is_not_mistaken_for_mixed() {
        // Every CJK unified ideograph once, in GBK: accidental UTF-8
        // sequences stay far below the threshold.
        let text: String = ('\u{4E00}'..='\u{9FA5}')
            .collect::<Vec<char>>()
            .chunks(30)
            .map(|c| c.iter().collect::<String>() + "。\n")
            .collect();
        let (bytes, _, bad) = GB18030.encode(&text);
        assert!(!bad);
        assert_eq!(decode(&bytes, None).unwrap().text, text);
    }

    #[test]
    fn unknown_label() {
        assert!(matches!(
            encoding_for_label("klingon"),
            Err(DecodeError::UnknownEncoding(_))
        ));
    }
}
