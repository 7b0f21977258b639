//! A seeded generator of synthetic report corpora (for benchmarks and scale
//! tests): township 科协 work summaries and plans in the style of the
//! fixtures, as .txt (UTF-8 or GB18030, some holding several `【篇N】`
//! pieces) and .docx, with varied figures, dates, places and activities.
//! The same seed always gives the same files.

use std::io::Write;
use std::path::Path;

/// A small deterministic PRNG (SplitMix64): no dependency, same stream on
/// every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct CorpusSpec {
    /// Number of documents (pieces), not files.
    pub documents: usize,
    pub seed: u64,
    /// Share of files written as .docx.
    pub docx_share: f64,
    /// Share of .txt files written as GB18030.
    pub gb18030_share: f64,
    /// Most pieces in one .txt file.
    pub max_pieces: usize,
}

impl Default for CorpusSpec {
    fn default() -> Self {
        CorpusSpec {
            documents: 100,
            seed: 1,
            docx_share: 0.2,
            gb18030_share: 0.3,
            max_pieces: 4,
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct CorpusStats {
    pub files: usize,
    pub documents: usize,
    pub bytes: u64,
    pub text_bytes: u64,
}

const PLACES: &[(&str, &str)] = &[
    ("沁县", "定昌镇"),
    ("武乡县", "丰州镇"),
    ("襄垣县", "古韩镇"),
    ("平顺县", "青羊镇"),
    ("黎城县", "黎侯镇"),
    ("壶关县", "龙泉镇"),
    ("长子县", "丹朱镇"),
    ("屯留区", "麟绛镇"),
    ("潞城区", "店上镇"),
    ("沁源县", "沁河镇"),
];
const VILLAGES: &[&str] = &[
    "北坡村",
    "东庄村",
    "西沟村",
    "南岭村",
    "后河村",
    "石门村",
    "杨家村",
    "红星村",
];
const TRAININGS: &[&str] = &[
    "果树修剪",
    "设施蔬菜种植",
    "中药材栽培",
    "肉牛养殖",
    "农村电商",
    "病虫害防治",
    "小杂粮种植",
];
const MATERIALS: &[&str] = &[
    "科普宣传资料",
    "科技图书",
    "明白纸",
    "科普挂图",
    "防灾减灾手册",
];
const CAMPAIGNS: &[&str] = &[
    "全国科普日",
    "科技活动周",
    "科技之春宣传月",
    "防灾减灾日",
    "科技三下乡",
];
const CN_DIGITS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// One synthetic document: (title, text).
pub fn document(rng: &mut Rng) -> (String, String) {
    let (county, town) = *rng.pick(PLACES);
    let year = rng.range(2016, 2025);
    let plan = rng.chance(0.15);
    let unit = if rng.chance(0.5) {
        format!("{town}科协")
    } else {
        format!("{county}科协")
    };
    let title = if plan {
        format!("{unit}{}年工作计划", year + 1)
    } else {
        format!("{unit}{year}年工作总结")
    };
    let mut t = String::new();
    t.push_str(&format!("{title}\n"));
    t.push_str(&format!(
        "　　{year}年，{unit}在{county}委、县政府的正确领导下，在上级科协的指导下，紧紧围绕中心工作，团结带领广大科技工作者，各项工作取得了新的成效。现将有关情况总结如下。\n"
    ));
    let sections = rng.range(2, 4) as usize;
    for s in 0..sections {
        t.push_str(&format!(
            "{}、{}\n",
            CN_DIGITS[s],
            [
                "加强科普宣传，提高群众科学素质",
                "开展实用技术培训，助力乡村振兴",
                "加强组织建设，夯实工作基础",
                "深入基层服务，推动科技下乡"
            ][s % 4]
        ));
        let subs = rng.range(1, 3) as usize;
        for digit in CN_DIGITS.iter().take(subs) {
            t.push_str(&format!(
                "　　（{}）{}\n",
                digit,
                rng.pick(&[
                    "突出活动载体",
                    "创新培训方式",
                    "强化阵地建设",
                    "健全工作机制"
                ])
            ));
            let paras = rng.range(1, 3);
            for _ in 0..paras {
                t.push_str("　　");
                t.push_str(&paragraph(rng, year, county, town));
                t.push('\n');
            }
        }
    }
    t.push_str(&format!(
        "{}、{}年工作打算\n",
        CN_DIGITS[sections],
        year + 1
    ));
    t.push_str(&format!(
        "　　{}年，我们将继续举办各类培训{}期以上，计划培训农民{}人次，力争新建科普示范基地{}个。\n",
        year + 1,
        rng.range(5, 30),
        rng.range(500, 5000),
        rng.range(1, 6)
    ));
    if rng.chance(0.1) {
        t.push_str("　　全年共培训XX人次，发放资料xx份。\n");
    }
    (title, t)
}

fn paragraph(rng: &mut Rng, year: u64, county: &str, town: &str) -> String {
    let m = rng.range(1, 12);
    let d = rng.range(1, 28);
    match rng.range(0, 5) {
        0 => format!(
            "{m}月{d}日，围绕“{}”主题，在{town}集贸市场设置科普宣传点{}个，展出展板{}块，发放{}{}余份，接受群众咨询{}人次。",
            rng.pick(CAMPAIGNS),
            rng.range(2, 12),
            rng.range(10, 60),
            rng.pick(MATERIALS),
            rng.range(500, 9000),
            rng.range(100, 3000)
        ),
        1 => format!(
            "全年共举办{}技术培训班{}期，培训农民{}多人次，邀请县农业专家{}名深入{}、{}等{}个村开展现场指导。",
            rng.pick(TRAININGS),
            rng.range(2, 20),
            rng.range(200, 4000),
            rng.range(2, 15),
            rng.pick(VILLAGES),
            rng.pick(VILLAGES),
            rng.range(3, 20)
        ),
        2 => format!(
            "{year}年{m}月至{}月，组织开展青少年科技创新大赛，全县{}所中小学的{}名学生参加，评选出优秀作品{}件。",
            (m + 2).min(12),
            rng.range(5, 40),
            rng.range(100, 2000),
            rng.range(10, 90)
        ),
        3 => format!(
            "新发展农村专业技术协会{}个、会员{}人，在{county}{town}建成科普e站{}个，科普示范基地覆盖率达到{}%。",
            rng.range(1, 8),
            rng.range(20, 400),
            rng.range(1, 10),
            rng.range(30, 99)
        ),
        4 => format!(
            "争取上级科普经费{}万元，为{}个贫困村引进新品种{}个，带动{}户群众增收约{}万元。",
            rng.range(2, 80),
            rng.range(2, 15),
            rng.range(1, 9),
            rng.range(30, 900),
            rng.range(5, 300)
        ),
        _ => format!(
            "{year}年{m}月{d}日召开科协第{}次代表大会，选举产生新一届委员会委员{}名。",
            CN_DIGITS[rng.range(1, 5) as usize],
            rng.range(9, 31)
        ),
    }
}

/// Write a corpus into `dir` (created if needed).
pub fn write_corpus(spec: &CorpusSpec, dir: &Path) -> std::io::Result<CorpusStats> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(spec.seed);
    let mut stats = CorpusStats::default();
    let mut file_no = 0usize;
    while stats.documents < spec.documents {
        file_no += 1;
        let sub = dir.join(format!("{:03}", file_no / 1000));
        std::fs::create_dir_all(&sub)?;
        if rng.chance(spec.docx_share) {
            let (_title, text) = document(&mut rng);
            let bytes = docx_bytes(&text)?;
            let p = sub.join(format!("report-{file_no:06}.docx"));
            std::fs::write(&p, &bytes)?;
            stats.bytes += bytes.len() as u64;
            stats.text_bytes += text.len() as u64;
            stats.documents += 1;
        } else {
            let left = spec.documents - stats.documents;
            let pieces = (rng.range(1, spec.max_pieces.max(1) as u64) as usize).min(left);
            let mut text = String::new();
            for i in 0..pieces {
                let (title, body) = document(&mut rng);
                if i > 0 {
                    text.push_str(&format!("【篇{}】{title}\n", i + 1));
                }
                text.push_str(&body);
            }
            let bytes = if rng.chance(spec.gb18030_share) {
                encoding_rs::GB18030.encode(&text).0.into_owned()
            } else {
                text.clone().into_bytes()
            };
            let p = sub.join(format!("report-{file_no:06}.txt"));
            std::fs::write(&p, &bytes)?;
            stats.bytes += bytes.len() as u64;
            stats.text_bytes += text.len() as u64;
            stats.documents += pieces;
        }
        stats.files += 1;
    }
    Ok(stats)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A minimal valid .docx holding `text` as one paragraph per line.
pub fn docx_bytes(text: &str) -> std::io::Result<Vec<u8>> {
    let mut body = String::new();
    for line in text.lines() {
        body.push_str("<w:p><w:r><w:t xml:space=\"preserve\">");
        body.push_str(&xml_escape(line));
        body.push_str("</w:t></w:r></w:p>");
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        for (name, data) in [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", rels),
            ("word/document.xml", document.as_str()),
        ] {
            zip.start_file(name, opts).map_err(std::io::Error::other)?;
            zip.write_all(data.as_bytes())?;
        }
        zip.finish().map_err(std::io::Error::other)?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_corpus_and_it_reads_back() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let spec = CorpusSpec {
            documents: 30,
            seed: 7,
            ..Default::default()
        };
        let sa = write_corpus(&spec, a.path()).unwrap();
        let sb = write_corpus(&spec, b.path()).unwrap();
        assert_eq!(
            (sa.files, sa.documents, sa.bytes),
            (sb.files, sb.documents, sb.bytes)
        );
        assert_eq!(sa.documents, 30);
        // Every generated file ingests into the documents it was made of.
        let mut docs = 0;
        for entry in std::fs::read_dir(a.path().join("000")).unwrap() {
            let p = entry.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            let got =
                crate::ingest::ingest_bytes(&p.to_string_lossy(), &bytes, &Default::default())
                    .unwrap();
            docs += got.len();
        }
        assert_eq!(docs, 30);
    }
}
