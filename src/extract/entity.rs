//! Places, organizations and the document's region.
//!
//! The gazetteer (provinces, prefectures, counties with former names,
//! townships) is loaded once into one `HashMap` keyed by name. Full names end
//! in a handful of suffix characters (省/市/县/区/镇/乡/道/旗 …), so the text
//! is scanned once and a lookup is tried only where such a character ends a
//! candidate: linear in the text. Short names (`武乡`, `山西`) are looked up
//! only as whole jieba words, and only trusted with context.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::{CharBits, ExtractContext, Extractor};
use crate::data::{DataDir, DataError};
use crate::model::{Fact, FactData, OrgFact, PlaceFact, PlaceLevel, Region, Span};

/// Administrative level of a gazetteer unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Level {
    Province = 0,
    Prefecture = 1,
    County = 2,
    Township = 3,
}

impl Level {
    fn place_level(self) -> PlaceLevel {
        match self {
            Level::Province => PlaceLevel::Province,
            Level::Prefecture => PlaceLevel::Prefecture,
            Level::County => PlaceLevel::County,
            Level::Township => PlaceLevel::Township,
        }
    }
}

const NONE: u32 = u32::MAX;

/// FxHash (rustc's hasher): the gazetteer has ~45k short keys and SipHash
/// would dominate start-up; no untrusted keys are inserted at run time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// FxHash for the `(node, char)` keys of the name trie while it is built,
/// taking each `u32` whole (`FxHasher` feeds them byte by byte): every
/// char of the ~45k names is looked up once.
#[derive(Default, Clone, Copy)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(K);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type PairBuild = BuildHasherDefault<PairHasher>;
pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub(crate) type FxSet<K> = HashSet<K, FxBuild>;

/// One administrative unit.
struct Unit {
    /// Code as a number, and its digit count as written in the tables:
    /// 2 (province), 4 (prefecture), 6 (county) or 9 (township).
    code: u32,
    digits: u8,
    /// Shared with the name index.
    name: Arc<str>,
    level: Level,
    /// Index of the parent unit (prefecture, else province), or NONE.
    parent: u32,
}

/// How a name refers to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    /// The official full name (`武乡县`, `山西省`).
    Full,
    /// An informal full form (`长阳县` for 长阳土家族自治县).
    Alias,
    /// A name used 2015–2022; `unit` is the current successor.
    Former,
    /// Name without its generic suffix (`武乡`, `山西`).
    Short,
}

#[derive(Debug, Clone, Copy)]
struct NameRef {
    unit: u32,
    kind: NameKind,
}

/// Candidate lists are linked through one vector so that 40k names do not
/// each allocate a `Vec`.
struct Link {
    r: NameRef,
    next: u32,
}

struct OrgSuffix {
    category: Box<str>,
}

pub struct EntityExtractor {
    units: Vec<Unit>,
    names: FxMap<Arc<str>, u32>,
    links: Vec<Link>,
    max_full_chars: usize,
    /// Full-form names (2 to `max_full_chars` chars) in a trie over their
    /// characters read backwards: the scan stops only at the few characters
    /// that end a name (`F_FULL`) and walks back from there. Node by node:
    /// the children of node `n` are `rev_kids[rev_first[n]..rev_first[n +
    /// 1]]`, sorted by char. The hot nodes (the few name endings) stay in
    /// cache, where a hash map's probes land all over a large table.
    rev_first: Vec<u32>,
    rev_kids: Vec<(char, u32)>,
    /// The edges of the nodes with more than `BIG_FANOUT` children (`镇`,
    /// `乡`, `县`, `街道` have hundreds: a binary search there takes ten
    /// dependent steps) in an open-addressing table: (node, char, child),
    /// empty slots with node NONE. At most half full.
    rev_big: Vec<(u32, u32, u32)>,
    /// Candidate list of the name a trie node completes, or NONE.
    rev_head: Vec<u32>,
    /// Bit set over a hash of the first two chars of every name with a
    /// short candidate: most words are not such names, and one bit test
    /// spares them the string hash and look-up in `names`.
    short_bits: Box<[u64; SHORT_BITS / 64]>,
    orgs: FxMap<Box<str>, OrgSuffix>,
    /// Organization suffixes in a trie over their characters read
    /// backwards, walked from each char that may end one (`F_ORG`). Node
    /// 0 is the root; a few dozen nodes, so small sorted child lists beat
    /// hashing.
    org_trie: Vec<OrgNode>,
    /// The root's child in `org_trie` for each char below U+10000 (0: none;
    /// the root is nobody's child): the walk's first step, taken at every
    /// char that may end a suffix, is one load instead of a search among
    /// the root's children.
    org_root: Vec<u32>,
    /// `F_*` bits of every char below U+10000: one pass over the text
    /// decodes each char once and stops only where a name, a suffix, a
    /// village or a sentence may end. Chars above it (rare) are tested
    /// against the tries directly.
    char_flags: Box<[u8; FLAG_CHARS]>,
    /// Which chars below U+10000 have a bit of `SCAN_MASK` in
    /// `char_flags`, one bit each (8 KB where `char_flags` has 64 KB): the
    /// scan tests every char here and reads `char_flags` only for the few
    /// that pass, so its look-ups stay in a table that stays in cache.
    scan_bits: Box<CharBits>,
    /// `ORG_STOP_WORDS` and `NOT_VILLAGE` as sets: they are tested for
    /// every word left of a suffix and every village candidate.
    org_stop_words: FxSet<&'static str>,
    /// `VISIT_WORDS` with their last chars.
    visit_last: Vec<(char, &'static str)>,
    not_village: FxSet<&'static str>,
    org_list: Vec<OrgSuffix>,
}

/// The char may end a full place name (a root edge of the name trie).
const F_FULL: u8 = 1;
/// The char may end an organization suffix (a root edge of `org_edges`).
const F_ORG: u8 = 2;
/// `村`.
const F_CUN: u8 = 4;
/// A char `sentence_bounds` splits on.
const F_SENT: u8 = 8;
/// A char of `ORG_STOP_CHARS`.
const F_ORG_STOP: u8 = 16;
/// The char ends a word of `VISIT_WORDS`.
const F_VISIT: u8 = 32;
/// `我`, `全` or `本`, which may open a level word (`我县`, `全市`).
const F_OWN: u8 = 64;
/// A char of `VILLAGE_STOP_CHARS`.
const F_VILLAGE_STOP: u8 = 128;
/// The flags [`EntityExtractor::scan`] acts on: stop chars matter only to
/// the organization and village finders.
const SCAN_MASK: u8 = !(F_ORG_STOP | F_VILLAGE_STOP);
/// Size of `char_flags`: the Basic Multilingual Plane.
const FLAG_CHARS: usize = 0x1_0000;

/// A node of the reversed organization-suffix trie.
#[derive(Default)]
struct OrgNode {
    /// Children by the char before, sorted by char.
    next: Vec<(char, u32)>,
    /// Index into `org_list` of the suffix this node completes, or NONE.
    pat: u32,
}

impl OrgNode {
    fn child(&self, c: char) -> Option<u32> {
        self.next
            .binary_search_by_key(&c, |e| e.0)
            .ok()
            .and_then(|k| self.next.get(k))
            .map(|e| e.1)
    }
}

/// A `char_flags` table with no bits set.
fn zero_flags() -> Box<[u8; FLAG_CHARS]> {
    vec![0u8; FLAG_CHARS]
        .into_boxed_slice()
        .try_into()
        .expect("a vector of FLAG_CHARS bytes")
}

/// What one pass over a text finds for the place, organization and village
/// finders (byte offsets into that text).
struct Scan {
    /// Starts of chars that may end a full place name, in order.
    full: Vec<usize>,
    /// Every organization suffix in the text as (end, start, suffix index),
    /// sorted: by end, and at one end longest first.
    org_hits: Vec<(usize, usize, u32)>,
    /// Starts of `村`.
    cun: Vec<usize>,
    /// Sentence-ending chars as (start, end), in order.
    sent: Vec<(usize, usize)>,
    /// Ends of every `VISIT_WORDS` occurrence, in order.
    visit_ends: Vec<usize>,
    /// How often `我`/`全`/`本` precede each level word: 省, 市, 县/旗,
    /// 区, 镇/乡/街道 (see [`own_level`]).
    own: [usize; 5],
}

/// A place name found in the text, before resolution.
#[derive(Debug, Clone)]
struct Mention {
    span: Span,
    /// Head of the candidate list in `links`.
    head: u32,
    /// Matched through a short name (a whole word).
    short: bool,
    /// A two-character full name starting with a function word (`和县` in
    /// `市和县科协`): resolved only with a parent named.
    weak: bool,
    /// Inside the title or the first lines.
    early: bool,
    /// In a sentence about a visit elsewhere (`赴…考察`).
    visit: bool,
}

/// A mention resolved to one unit.
#[derive(Debug, Clone, Copy)]
struct Resolved {
    mention: usize,
    unit: u32,
}

/// Characters that end an administrative level and may stand for it alone
/// before an organization (`县科协`, `镇政府`).
const LEVEL_CHARS: &[char] = &['省', '市', '县', '区', '镇', '乡', '旗', '州', '盟'];
/// Multi-character name units before an organization suffix.
const NAME_UNITS: &[&str] = &[
    "社区", "街道", "中国", "全国", "国家", "小区", "园区", "景区",
];
/// Words that never belong to an organization name (verbs, function words,
/// quantifiers) and stop the leftward extension.
const ORG_STOP_WORDS: &[&str] = &[
    "成立", "组建", "召开", "举办", "开展", "联合", "协调", "依托", "通过", "指导", "带领", "组织",
    "邀请", "配合", "会同", "联系", "发挥", "加强", "积极", "充分", "建立", "筹建", "牵头", "发展",
    "扶持", "培育", "新建", "创建", "参加", "参与", "各级", "各类", "广大", "全体", "以及", "还有",
    "主办", "承办", "协办", "支持", "领导", "关心", "帮助", "争取", "推动", "推进", "落实", "完善",
    "健全", "加入", "成为", "作为", "担任", "当选", "选举", "评为", "获得", "荣获", "授予", "表彰",
    "向", "对", "为", "与", "和", "及", "同", "跟", "在", "由", "从", "于", "至", "赴", "到", "将",
    "把", "被", "给", "等", "的", "了", "是", "有", "个", "各", "全", "该", "本", "我", "其", "此",
    "这", "那", "每", "并", "又", "也", "都", "就", "还", "或", "即", "以", "经", "所", "着", "过",
];
/// Characters that never occur inside an organization name's modifier.
const ORG_STOP_CHARS: &str = "的了和与及对为向从把被将赴在，、。";
/// Characters that may not follow a one-character organization suffix
/// (`局长`, `委员`, `办公`).
const ORG_SUFFIX_CONT: &[char] = &[
    '员', '托', '屈', '婉', '长', '面', '势', '部', '公', '理', '事', '法', '学', '好', '成', '实',
    '得', '到',
];
/// Words before `村` that are not village names.
const NOT_VILLAGE: &[&str] = &[
    "贫困",
    "行政",
    "农",
    "山",
    "乡",
    "城乡",
    "示范",
    "重点",
    "出列",
    "美丽",
    "文明",
    "和谐",
    "帮扶",
    "试点",
    "省级",
    "市级",
    "县级",
    "经济",
    "建档",
    "先进",
    "合作",
    "深度",
    "包",
    "联",
    "边远",
    "空壳",
    "薄弱",
    "新",
    "进",
    "驻",
    "全",
    "各",
    "该",
    "本",
    "此",
    "每",
    "邻",
    "外",
    "异",
    "渔",
    "牧",
    "乡镇",
    "专业",
    "特色",
    "旅游",
    "生态",
    "小康",
    "幸福",
    "样板",
    "科普",
    "非贫困",
    "整",
    "入",
    "到",
    "在",
    "个",
    "所在",
    "留守",
    "贫困户",
    "山区",
    "偏远",
    "落后",
    "移民",
    "搬迁",
    "扶贫",
    "示范点",
    "两委",
];
/// Characters that never occur in a village name.
const VILLAGE_STOP_CHARS: &[char] = &[
    '的', '在', '和', '与', '及', '对', '为', '了', '是', '把', '被', '向', '从', '于', '至', '赴',
    '到', '将', '等', '各', '全', '该', '本', '每', '个', '此', '其', '这', '那', '进', '驻', '入',
    '村', '乡', '镇', '县', '市', '区', '、', '，', '。', '年', '月', '日',
];
/// First characters that make a two-character full name suspect.
const WEAK_FIRST: &[char] = &[
    '和', '与', '及', '在', '对', '为', '向', '从', '到', '的', '了', '把', '被', '将', '等', '各',
    '全', '该', '本', '每', '此', '其', '这', '那',
];
/// Sentences with these words are about visits elsewhere.
const VISIT_WORDS: &[&str] = &[
    "赴",
    "前往",
    "走进",
    "考察",
    "参观",
    "对标",
    "观摩",
    "取经",
    "交流学习",
    "外出",
    "学习借鉴",
];

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

impl EntityExtractor {
    pub fn new(data: &DataDir) -> Result<Self, DataError> {
        let mut ex = EntityExtractor {
            units: Vec::with_capacity(45_000),
            names: FxMap::with_capacity_and_hasher(48_000, FxBuild::default()),
            links: Vec::with_capacity(50_000),
            max_full_chars: 2,
            rev_first: Vec::new(),
            rev_kids: Vec::new(),
            rev_big: Vec::new(),
            rev_head: Vec::new(),
            short_bits: Box::new([0; SHORT_BITS / 64]),
            orgs: FxMap::default(),
            org_trie: Vec::new(),
            char_flags: zero_flags(),
            scan_bits: Box::new(CharBits::of(&[])),
            org_root: Vec::new(),
            org_stop_words: ORG_STOP_WORDS.iter().copied().collect(),
            visit_last: VISIT_WORDS
                .iter()
                .filter_map(|w| Some((w.chars().next_back()?, *w)))
                .collect(),
            not_village: NOT_VILLAGE.iter().copied().collect(),
            org_list: Vec::new(),
        };
        let mut by_code: HashMap<Box<str>, u32> = HashMap::with_capacity(4_000);

        // Provinces and prefectures.
        let file = data.file("prefectures.tsv")?;
        for (f, n, line) in file.lines() {
            let mut it = line.split('\t');
            let (Some(code), Some(name), Some(short)) = (it.next(), it.next(), it.next()) else {
                return Err(DataError::new(f, n, "expected code<TAB>name<TAB>short"));
            };
            let (code, name, short) = (code.trim(), name.trim(), short.trim());
            if !code.bytes().all(|b| b.is_ascii_digit()) || !(code.len() == 2 || code.len() == 4) {
                return Err(DataError::new(f, n, format!("bad code {code:?}")));
            }
            if name.is_empty() {
                return Err(DataError::new(f, n, "empty name"));
            }
            let level = if code.len() == 2 {
                Level::Province
            } else {
                Level::Prefecture
            };
            let parent = if level == Level::Prefecture {
                by_code.get(&code[..2]).copied().unwrap_or(NONE)
            } else {
                NONE
            };
            let id = ex.push_unit(code, name, level, parent);
            by_code.insert(code.into(), id);
            // A municipality's prefecture row repeats the province's name:
            // naming it would only make the name ambiguous.
            let repeats_parent = parent != NONE && ex.units[parent as usize].name.as_ref() == name;
            if !repeats_parent {
                ex.add_name(name, id, NameKind::Full);
                if !short.is_empty() && short != name {
                    ex.add_name(short, id, NameKind::Short);
                }
            }
        }

        // Counties: current names first, then aliases and former names,
        // which may refer to successors listed anywhere in the file.
        let file = data.file("counties.tsv")?;
        let mut later: Vec<(String, String, String, usize, String)> = Vec::new();
        for (f, n, line) in file.lines() {
            let mut it = line.split('\t');
            let (Some(code), Some(name), Some(short)) = (it.next(), it.next(), it.next()) else {
                return Err(DataError::new(
                    f,
                    n,
                    "expected code<TAB>name<TAB>short<TAB>maps_to",
                ));
            };
            let maps_to = it.next().unwrap_or("").trim();
            let (code, name, short) = (code.trim(), name.trim(), short.trim());
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
                return Err(DataError::new(f, n, format!("bad county row {line:?}")));
            }
            if !maps_to.is_empty() {
                later.push((
                    code.to_string(),
                    name.to_string(),
                    maps_to.to_string(),
                    n,
                    f.to_string(),
                ));
                continue;
            }
            if by_code.contains_key(code) {
                // A user file may repeat a unit to add nothing; keep the first.
                continue;
            }
            let parent = by_code
                .get(&code[..4])
                .or_else(|| by_code.get(&code[..2]))
                .copied()
                .unwrap_or(NONE);
            let id = ex.push_unit(code, name, Level::County, parent);
            by_code.insert(code.into(), id);
            ex.add_name(name, id, NameKind::Full);
            if !short.is_empty() && short != name {
                ex.add_name(short, id, NameKind::Short);
            }
        }
        for (code, name, maps_to, n, f) in later {
            let (target, kind) = if maps_to == "*" {
                (code.as_str(), NameKind::Alias)
            } else {
                (maps_to.as_str(), NameKind::Former)
            };
            match by_code.get(target) {
                Some(&id) => ex.add_name(&name, id, kind),
                None if kind == NameKind::Former && target == code => {
                    // An abolished unit without successor keeps its own code.
                    let parent = by_code
                        .get(&code[..4])
                        .or_else(|| by_code.get(&code[..2]))
                        .copied()
                        .unwrap_or(NONE);
                    let id = ex.push_unit(&code, &name, Level::County, parent);
                    by_code.insert(code.as_str().into(), id);
                    ex.add_name(&name, id, NameKind::Full);
                }
                None => {
                    return Err(DataError::new(&f, n, format!("unknown code {target:?}")));
                }
            }
        }

        // Townships: one line per county.
        let file = data.file("townships.tsv")?;
        for (f, n, line) in file.lines() {
            let mut it = line.split('\t');
            let county = it.next().unwrap_or("").trim();
            let Some(&cid) = by_code.get(county) else {
                return Err(DataError::new(f, n, format!("unknown county {county:?}")));
            };
            for item in it {
                let item = item.trim();
                if item.len() < 4 || !item.is_char_boundary(3) {
                    return Err(DataError::new(f, n, format!("bad township {item:?}")));
                }
                let (num, name) = item.split_at(3);
                if !num.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
                    return Err(DataError::new(f, n, format!("bad township {item:?}")));
                }
                let mut code = String::with_capacity(9);
                code.push_str(county);
                code.push_str(num);
                let id = ex.push_unit(&code, name, Level::Township, cid);
                ex.add_name(name, id, NameKind::Full);
            }
        }

        let file = data.file("org_suffixes.txt")?;
        for (f, n, line) in file.lines() {
            let mut it = line.split('\t');
            let (Some(suffix), Some(cat)) = (it.next(), it.next()) else {
                return Err(DataError::new(f, n, "expected suffix<TAB>category"));
            };
            let suffix = suffix.trim();
            if suffix.is_empty() {
                return Err(DataError::new(f, n, "empty suffix"));
            }
            ex.orgs.insert(
                suffix.into(),
                OrgSuffix {
                    category: cat.trim().into(),
                },
            );
        }
        ex.build_automata()?;
        Ok(ex)
    }

    /// The multi-pattern matchers over the final tables.
    fn build_automata(&mut self) -> Result<(), DataError> {
        let mut full: Vec<(&str, u32)> = self
            .names
            .iter()
            .filter(|(name, &head)| {
                let n = name.chars().count();
                (2..=self.max_full_chars).contains(&n)
                    && self.cands(head).any(|r| r.kind != NameKind::Short)
            })
            .map(|(name, &head)| (name.as_ref(), head))
            .collect();
        // Deterministic node ids, whatever the map's order.
        full.sort_unstable();
        let mut edges: HashMap<(u32, char), u32, PairBuild> = HashMap::default();
        let mut heads: Vec<u32> = vec![NONE];
        let mut last: Vec<char> = Vec::new();
        for (name, head) in full {
            let mut node = 0u32;
            for c in name.chars().rev() {
                if node == 0 {
                    last.push(c);
                }
                node = *edges.entry((node, c)).or_insert_with(|| {
                    heads.push(NONE);
                    (heads.len() - 1) as u32
                });
            }
            heads[node as usize] = head;
        }
        let mut flags = zero_flags();
        let mut set = |c: char, f: u8| {
            if let Some(x) = flags.get_mut(c as usize) {
                *x |= f;
            }
        };
        for c in last {
            set(c, F_FULL);
        }
        set('村', F_CUN);
        for c in ['。', '！', '？', '；', '\n', '!', '?', ';'] {
            set(c, F_SENT);
        }
        for c in ORG_STOP_CHARS.chars() {
            set(c, F_ORG_STOP);
        }
        let mut short_bits: Box<[u64; SHORT_BITS / 64]> = Box::new([0; SHORT_BITS / 64]);
        for (name, &head) in &self.names {
            if name.len() >= 6 && self.cands(head).any(|r| r.kind == NameKind::Short) {
                let b = short_key(name);
                short_bits[b / 64] |= 1 << (b % 64);
            }
        }
        self.short_bits = short_bits;
        let mut list: Vec<(u32, char, u32)> = edges.iter().map(|(&(n, c), &k)| (n, c, k)).collect();
        list.sort_unstable();
        let mut first = vec![0u32; heads.len() + 1];
        for &(n, _, _) in &list {
            if let Some(x) = first.get_mut(n as usize + 1) {
                *x += 1;
            }
        }
        for k in 1..first.len() {
            first[k] += first[k - 1];
        }
        self.rev_kids = list.iter().map(|&(_, c, k)| (c, k)).collect();
        // The edges of the big nodes, also hashed.
        let big: Vec<(u32, char, u32)> = list
            .iter()
            .copied()
            .filter(|&(n, _, _)| {
                let lo = first.get(n as usize).copied().unwrap_or(0);
                let hi = first.get(n as usize + 1).copied().unwrap_or(0);
                (hi - lo) as usize > BIG_FANOUT
            })
            .collect();
        let size = (big.len() * 2).next_power_of_two().max(16);
        let mut table = vec![(NONE, 0u32, 0u32); size];
        for (n, c, k) in big {
            let mut h = big_slot(n, c, size);
            while table[h].0 != NONE {
                h = (h + 1) & (size - 1);
            }
            table[h] = (n, c as u32, k);
        }
        self.rev_big = table;
        self.rev_first = first;
        self.rev_head = heads;
        let mut orgs: Vec<(&Box<str>, &OrgSuffix)> = self.orgs.iter().collect();
        orgs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for w in VISIT_WORDS {
            if let Some(c) = w.chars().next_back() {
                set(c, F_VISIT);
            }
        }
        for c in ['我', '全', '本'] {
            set(c, F_OWN);
        }
        for &c in VILLAGE_STOP_CHARS {
            set(c, F_VILLAGE_STOP);
        }
        let mut trie: Vec<OrgNode> = vec![OrgNode {
            next: Vec::new(),
            pat: NONE,
        }];
        for (pat, (suffix, _)) in orgs.iter().enumerate() {
            let mut node = 0usize;
            for c in suffix.chars().rev() {
                if node == 0 {
                    set(c, F_ORG);
                }
                let Some(cur) = trie.get(node) else { break };
                node = match cur.child(c) {
                    Some(n) => n as usize,
                    None => {
                        let n = trie.len();
                        trie.push(OrgNode {
                            next: Vec::new(),
                            pat: NONE,
                        });
                        if let Some(cur) = trie.get_mut(node) {
                            let k = cur.next.partition_point(|e| e.0 < c);
                            cur.next.insert(k, (c, n as u32));
                        }
                        n
                    }
                };
            }
            if let Some(n) = trie.get_mut(node).filter(|_| node != 0) {
                n.pat = pat as u32;
            }
        }
        let mut bits = Box::new(CharBits::of(&[]));
        for (cp, &f) in flags.iter().enumerate() {
            match char::from_u32(cp as u32) {
                Some(c) if f & SCAN_MASK != 0 => bits.insert(c),
                _ => {}
            }
        }
        self.scan_bits = bits;
        self.char_flags = flags;
        self.org_root = vec![0; FLAG_CHARS];
        for &(c, n) in trie.first().map_or(&[][..], |r| &r.next[..]) {
            if let Some(slot) = self.org_root.get_mut(c as usize) {
                *slot = n;
            }
        }
        self.org_trie = trie;
        self.org_list = orgs
            .iter()
            .map(|o| OrgSuffix {
                category: o.1.category.clone(),
            })
            .collect();
        Ok(())
    }

    fn push_unit(&mut self, code: &str, name: &str, level: Level, parent: u32) -> u32 {
        let id = self.units.len() as u32;
        // Reuse the index's copy of the name when there is one.
        let name: Arc<str> = match self.names.get_key_value(name) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(name),
        };
        self.units.push(Unit {
            code: code.parse().unwrap_or(0),
            digits: code.len() as u8,
            name,
            level,
            parent,
        });
        id
    }

    fn add_name(&mut self, name: &str, unit: u32, kind: NameKind) {
        let link = self.links.len() as u32;
        let next = match self.names.get_mut(name) {
            Some(h) => std::mem::replace(h, link),
            None => {
                let key = match self.units.get(unit as usize) {
                    Some(u) if u.name.as_ref() == name => Arc::clone(&u.name),
                    _ => Arc::from(name),
                };
                self.names.insert(key, link);
                NONE
            }
        };
        self.links.push(Link {
            r: NameRef { unit, kind },
            next,
        });
        if kind != NameKind::Short {
            let n = name.len() / 3 + 1;
            if n > self.max_full_chars {
                self.max_full_chars = self.max_full_chars.max(name.chars().count());
            }
        }
    }

    fn cands(&self, head: u32) -> impl Iterator<Item = NameRef> + '_ {
        let mut i = head;
        std::iter::from_fn(move || {
            if i == NONE {
                return None;
            }
            let l = self.links.get(i as usize)?;
            i = l.next;
            Some(l.r)
        })
    }

    /// True when `anc` is `u` or one of its ancestors.
    fn is_ancestor(&self, anc: u32, u: u32) -> bool {
        let mut x = u;
        let mut guard = 0;
        while x != NONE && guard < 8 {
            if x == anc {
                return true;
            }
            x = self.units[x as usize].parent;
            guard += 1;
        }
        false
    }

    /// The unit and its ancestors up to the province, as [`Self::chain`]
    /// without the vector.
    fn ancestors(&self, u: u32) -> impl Iterator<Item = u32> + '_ {
        let mut x = u;
        let mut n = 0;
        std::iter::from_fn(move || {
            if x == NONE || n >= 8 {
                return None;
            }
            let cur = x;
            x = self.units.get(x as usize).map_or(NONE, |unit| unit.parent);
            n += 1;
            Some(cur)
        })
    }

    /// Chain from the unit up to its province.
    fn chain(&self, u: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(4);
        let mut x = u;
        while x != NONE && out.len() < 8 {
            out.push(x);
            x = self.units[x as usize].parent;
        }
        out
    }

    /// GB/T 2260 style code: 6 digits for provinces, prefectures and
    /// counties; townships keep their 9-digit NBS code.
    fn full_code(&self, u: u32) -> String {
        let unit = &self.units[u as usize];
        // Written by hand (as `{:0width$}` would): one small String per
        // place fact, no formatting machinery.
        let (mut v, width) = match unit.digits {
            2 => (u64::from(unit.code) * 10_000, 6),
            4 => (u64::from(unit.code) * 100, 6),
            6 => (u64::from(unit.code), 6),
            _ => (u64::from(unit.code), 9),
        };
        if v >= 10u64.pow(width as u32) {
            return v.to_string();
        }
        let mut buf = [b'0'; 9];
        for d in buf[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        std::str::from_utf8(&buf[..width])
            .map(str::to_string)
            .unwrap_or_default()
    }

    /// The child of a node of the reversed name trie by the char before.
    #[inline]
    fn rev_child(&self, node: u32, c: char) -> Option<u32> {
        let lo = *self.rev_first.get(node as usize)? as usize;
        let hi = *self.rev_first.get(node as usize + 1)? as usize;
        if hi.saturating_sub(lo) > BIG_FANOUT {
            let size = self.rev_big.len();
            let mut h = big_slot(node, c, size);
            // The table is at most half full: an empty slot ends the probe
            // well before the bound.
            for _ in 0..size {
                let &(n, k, child) = self.rev_big.get(h)?;
                if n == node && k == c as u32 {
                    return Some(child);
                }
                if n == NONE {
                    return None;
                }
                h = (h + 1) & (size - 1);
            }
            return None;
        }
        let kids = self.rev_kids.get(lo..hi)?;
        kids.binary_search_by_key(&c, |e| e.0)
            .ok()
            .and_then(|k| kids.get(k))
            .map(|e| e.1)
    }

    /// The `F_*` bits of a char.
    #[inline]
    fn flags(&self, c: char) -> u8 {
        match self.char_flags.get(c as usize) {
            Some(&f) => f,
            // Beyond the table: only the tries can hold such a char.
            None => {
                let mut f = 0;
                if self.rev_child(0, c).is_some() {
                    f |= F_FULL;
                }
                if self.org_trie.first().and_then(|r| r.child(c)).is_some() {
                    f |= F_ORG;
                }
                f
            }
        }
    }

    /// One pass over `text`: every char is decoded once and looked up in
    /// `char_flags`; the few that may end something are noted, and the
    /// organization suffixes ending there are read back through their trie.
    fn scan(&self, text: &str) -> Scan {
        let mut sc = Scan {
            // About what a report holds, so that few of them grow.
            full: Vec::with_capacity(text.len() / 64),
            org_hits: Vec::with_capacity(text.len() / 64),
            cun: Vec::new(),
            sent: Vec::with_capacity(text.len() / 48),
            visit_ends: Vec::new(),
            own: [0; 5],
        };
        let mut at_end: Vec<(usize, u32)> = Vec::new();
        let flags: &[u8; FLAG_CHARS] = &self.char_flags;
        let b = text.as_bytes();
        // Decode by hand: nearly every char is a three-byte Han char or
        // ASCII, and only flagged chars need a `char` at all. The index is
        // 16 bits, so the table needs no bounds check. The last two bytes
        // go char by char.
        const MASK: u8 = SCAN_MASK;
        let bits = &self.scan_bits;
        // The text as a shrinking slice: a slice pattern takes a char's
        // bytes with no bounds check, where indexing checked each step.
        let mut rest = b;
        while let &[b0, b1, b2, ..] = rest {
            let at = b.len() - rest.len();
            if b0 & 0xF0 == 0xE0 {
                // A three-byte char: 4 bits of the lead byte, 6 of each of
                // the others. Its bit in `scan_bits` first.
                rest = rest.get(3..).unwrap_or_default();
                if bits.has_three_byte(b0, b1, b2) {
                    let cp = (usize::from(b0 & 0x0F) << 12)
                        | (usize::from(b1 & 0x3F) << 6)
                        | usize::from(b2 & 0x3F);
                    let f = flags[cp & (FLAG_CHARS - 1)];
                    self.note(text, at, at + 3, f, &mut sc, &mut at_end);
                }
            } else if b0 < 0x80 {
                let f = flags[usize::from(b0)];
                rest = rest.get(1..).unwrap_or_default();
                if f & MASK != 0 {
                    self.note(text, at, at + 1, f, &mut sc, &mut at_end);
                }
            } else {
                let Some(c) = text.get(at..).and_then(|r| r.chars().next()) else {
                    break;
                };
                let f = self.flags(c);
                let n = c.len_utf8();
                rest = rest.get(n..).unwrap_or_default();
                if f & MASK != 0 {
                    self.note(text, at, at + n, f, &mut sc, &mut at_end);
                }
            }
        }
        let i = b.len() - rest.len();
        for (k, c) in text.get(i..).unwrap_or("").char_indices() {
            let f = self.flags(c);
            if f & MASK != 0 {
                let start = i + k;
                self.note(text, start, start + c.len_utf8(), f, &mut sc, &mut at_end);
            }
        }
        sc
    }

    /// Note a flagged char of `text` at `start..end` in the scan.
    #[inline(never)]
    fn note(
        &self,
        text: &str,
        start: usize,
        end: usize,
        f: u8,
        sc: &mut Scan,
        at_end: &mut Vec<(usize, u32)>,
    ) {
        {
            if f & F_FULL != 0 {
                sc.full.push(start);
            }
            if f & F_CUN != 0 {
                sc.cun.push(start);
            }
            if f & F_SENT != 0 {
                sc.sent.push((start, end));
            }
            if f & F_OWN != 0 {
                let rest = text.get(end..).unwrap_or("");
                let k = match rest.chars().next() {
                    Some('省') => 0,
                    Some('市') => 1,
                    Some('县' | '旗') => 2,
                    Some('区') => 3,
                    Some('镇' | '乡') => 4,
                    Some('街') if rest.starts_with("街道") => 4,
                    _ => 5,
                };
                if let Some(n) = sc.own.get_mut(k) {
                    *n += 1;
                }
            }
            if f & F_VISIT != 0 {
                let before = text.get(..end).unwrap_or("");
                let c = before.chars().next_back();
                // Only the words ending in this char are compared.
                if self
                    .visit_last
                    .iter()
                    .any(|&(l, w)| Some(l) == c && before.ends_with(w))
                {
                    sc.visit_ends.push(end);
                }
            }
            if f & F_ORG != 0 {
                // Suffixes ending here, shortest first as the walk finds
                // them; pushed longest first.
                at_end.clear();
                // The first step, from this char, by `org_root`.
                let first = text
                    .get(start..end)
                    .and_then(|t| t.chars().next())
                    .and_then(|c| match self.org_root.get(c as usize) {
                        Some(&n) => (n != 0).then_some(n),
                        None => self.org_trie.first().and_then(|r| r.child(c)),
                    });
                if let Some(first) = first {
                    let mut node = first;
                    let mut from = start;
                    let pat = self.org_trie.get(node as usize).map_or(NONE, |n| n.pat);
                    if pat != NONE {
                        at_end.push((from, pat));
                    }
                    for pc in text.get(..start).unwrap_or("").chars().rev() {
                        let Some(next) = self.org_trie.get(node as usize).and_then(|n| n.child(pc))
                        else {
                            break;
                        };
                        node = next;
                        from -= pc.len_utf8();
                        let pat = self.org_trie.get(node as usize).map_or(NONE, |n| n.pat);
                        if pat != NONE {
                            at_end.push((from, pat));
                        }
                    }
                }
                sc.org_hits
                    .extend(at_end.iter().rev().map(|&(start, pat)| (end, start, pat)));
            }
        }
    }

    /// Find place name mentions in `text` (byte offsets relative to `text`),
    /// given its scan.
    fn find_mentions(
        &self,
        text: &str,
        scan: &Scan,
        words: &Words<'_>,
        early_end: usize,
    ) -> Vec<Mention> {
        let mut found: Vec<Mention> = Vec::new();
        // Full names, found at their last character: walk back through the
        // reversed-name trie; the longest name on word bounds wins.
        let mut ends: Vec<(usize, u32)> = Vec::with_capacity(8);
        for &j in &scan.full {
            let Some(c) = text.get(j..).and_then(|r| r.chars().next()) else {
                continue;
            };
            let end = j + c.len_utf8();
            let Some(first) = self.rev_child(0, c) else {
                continue;
            };
            ends.clear();
            let mut node = first;
            for (depth, (pb, pc)) in text[..j].char_indices().rev().enumerate() {
                // `depth + 2` chars once `pc` is taken.
                if depth + 2 > self.max_full_chars {
                    break;
                }
                let Some(next) = self.rev_child(node, pc) else {
                    break;
                };
                node = next;
                let head = self.rev_head[node as usize];
                if head != NONE {
                    ends.push((pb, head));
                }
            }
            for &(start, head) in ends.iter().rev() {
                if !words.starts_at(text, start) {
                    continue;
                }
                let name = &text[start..end];
                let two = name.chars().nth(2).is_none();
                // Two-character full names (`和县`, `城区`) are common
                // character pairs: only as a word of their own.
                if two && !words.is_word(start, end) {
                    continue;
                }
                let weak = two && name.chars().next().is_some_and(|c| WEAK_FIRST.contains(&c));
                found.push(Mention {
                    span: Span::new(start, end),
                    head,
                    short: false,
                    weak,
                    early: start < early_end,
                    visit: false,
                });
                break;
            }
        }
        // Short names: only whole words.
        // The bit test needs only the span's length and first bytes: the
        // word is sliced (with its boundary checks) only when it passes.
        let bytes = text.as_bytes();
        for w in words.spans {
            let len = w.end.saturating_sub(w.start);
            if len < 6 {
                continue;
            }
            // The first 6 bytes as one 8-byte load (shifted down), except
            // at the very end of the text.
            let head = match bytes.get(w.start..).and_then(|r| r.first_chunk::<8>()) {
                Some(h8) => u64::from_be_bytes(*h8) >> 16,
                None => match bytes.get(w.start..w.start + 6) {
                    Some(&[a, b, c, d, e, f]) => u64::from_be_bytes([0, 0, a, b, c, d, e, f]),
                    _ => continue,
                },
            };
            let b = short_key_hash(head, len);
            // `b` has 19 bits: the index is in bounds of the fixed array.
            if self.short_bits[(b / 64) % (SHORT_BITS / 64)] & (1 << (b % 64)) == 0 {
                continue;
            }
            let Some(name) = text.get(w.start..w.end) else {
                continue;
            };
            let Some(&head) = self.names.get(name) else {
                continue;
            };
            if !self.cands(head).any(|r| r.kind == NameKind::Short) {
                continue;
            }
            found.push(Mention {
                span: *w,
                head,
                short: true,
                weak: false,
                early: w.start < early_end,
                visit: false,
            });
        }
        // Keep the longest of overlapping mentions.
        found.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end)));
        let mut out: Vec<Mention> = Vec::with_capacity(found.len());
        for m in found {
            if let Some(last) = out.last_mut() {
                if m.span.overlaps(&last.span) {
                    if m.span.len() > last.span.len() {
                        *last = m;
                    }
                    continue;
                }
            }
            out.push(m);
        }
        // Visits: the sentence holding the mention talks of going elsewhere.
        // Mentions of one sentence share the look-up.
        let mut last: Option<(Span, bool)> = None;
        for m in &mut out {
            let s = sentence_bounds(text, &scan.sent, m.span);
            let in_visit = match last {
                Some((ls, v)) if ls == s => v,
                _ => {
                    // A visit word ending inside the sentence lies wholly
                    // in it: no visit word holds a sentence-ending char.
                    let k = scan.visit_ends.partition_point(|&e| e <= s.start);
                    let v = scan.visit_ends.get(k).is_some_and(|&e| e <= s.end);
                    last = Some((s, v));
                    v
                }
            };
            m.visit = in_visit || text.get(..m.span.start).is_some_and(|b| b.ends_with('到'));
        }
        out
    }

    /// Resolve mentions to units, using the unambiguous ones as context.
    fn resolve(&self, mentions: &[Mention]) -> Vec<Option<u32>> {
        let mut out: Vec<Option<u32>> = vec![None; mentions.len()];
        // Units named so far and their ancestors, sorted: a document names
        // a few dozen at most.
        let mut known: Vec<u32> = Vec::new();
        let add_chain = |known: &mut Vec<u32>, u: u32| {
            known.extend(self.ancestors(u));
            known.sort_unstable();
            known.dedup();
        };
        // Pass 1: full names with one candidate above township level, and
        // unambiguous province short names.
        for (i, m) in mentions.iter().enumerate() {
            let Some(r) = only(self.usable(m)) else {
                continue;
            };
            let u = r.unit;
            let lv = self.units[u as usize].level;
            if lv == Level::Township {
                continue;
            }
            if (m.short && lv != Level::Province) || m.weak {
                continue;
            }
            out[i] = Some(u);
        }
        for u in out.iter().flatten() {
            known.extend(self.ancestors(*u));
        }
        known.sort_unstable();
        known.dedup();
        // Pass 2 and 3: the rest, by their parents named in the document;
        // townships last, when their county is known.
        for pass in 0..2 {
            let mut added = Vec::new();
            for (i, m) in mentions.iter().enumerate() {
                if out[i].is_some() {
                    continue;
                }
                let is_known = |u: u32| known.binary_search(&u).is_ok();
                // The one unit that fits, if all fitting candidates agree.
                let mut fit: Option<u32> = None;
                let mut agree = true;
                for r in self.usable(m) {
                    let u = r.unit;
                    let unit = &self.units[u as usize];
                    if unit.level == Level::Township && pass == 0 {
                        continue;
                    }
                    // A known parent (or, for a short prefecture name,
                    // a known county below it) confirms the candidate.
                    let fits = (unit.parent != NONE && is_known(unit.parent))
                        || (unit.level == Level::Province && is_known(u))
                        || (unit.level != Level::Township
                            && unit.parent != NONE
                            && is_known(self.units[unit.parent as usize].parent));
                    if fits {
                        match fit {
                            None => fit = Some(u),
                            Some(f) if f != u => agree = false,
                            Some(_) => {}
                        }
                    }
                }
                if let (Some(u), true) = (fit, agree) {
                    out[i] = Some(u);
                    added.push(u);
                }
            }
            for u in added {
                add_chain(&mut known, u);
            }
        }
        // Townships unique nationally and named in full in the title or the
        // first lines stand on their own.
        for (i, m) in mentions.iter().enumerate() {
            if out[i].is_some() || m.short || !m.early || m.visit {
                continue;
            }
            // Two-character names (`兴镇` in `科教兴镇`) are too often words.
            let long = m.span.len() >= 9;
            if !long {
                continue;
            }
            if let Some(r) = only(self.usable(m)) {
                if self.units[r.unit as usize].level == Level::Township {
                    out[i] = Some(r.unit);
                }
            }
        }
        out
    }

    /// Candidates a mention may use: full-form names for full mentions;
    /// for short mentions, short names (provinces win over lower units that
    /// share their short name).
    fn usable<'a>(&'a self, m: &Mention) -> impl Iterator<Item = NameRef> + 'a {
        let short = m.short;
        let head = m.head;
        let prov_short = short
            && self.cands(head).any(|r| {
                r.kind == NameKind::Short && self.units[r.unit as usize].level == Level::Province
            });
        self.cands(head).filter(move |r| {
            if short {
                r.kind == NameKind::Short
                    && (!prov_short || self.units[r.unit as usize].level == Level::Province)
            } else {
                r.kind != NameKind::Short
            }
        })
    }

    /// Organization mentions in `text`, given the place mentions.
    fn find_orgs(
        &self,
        text: &str,
        scan: &Scan,
        words: &Words<'_>,
        place_by_end: &[(usize, usize)],
        out: &mut Vec<Fact>,
    ) {
        let mut found: Vec<(Span, &OrgSuffix)> = Vec::new();
        // Every suffix match, by end, longest first; at each end the
        // longest suffix with a name before it wins.
        let hits = &scan.org_hits;
        let mut k = 0;
        while k < hits.len() {
            let end = hits[k].0;
            let mut g = k;
            while g < hits.len() && hits[g].0 == end {
                g += 1;
            }
            for &(end, sstart, pat) in &hits[k..g] {
                let Some(org) = self.org_list.get(pat as usize) else {
                    continue;
                };
                let one = text[sstart..end].chars().nth(1).is_none();
                if one {
                    let next = text[end..].chars().next();
                    if next.is_some_and(|c| ORG_SUFFIX_CONT.contains(&c)) {
                        break;
                    }
                }
                if let Some(start) = self.org_start(text, words, place_by_end, sstart) {
                    found.push((Span::new(start, end), org));
                    break;
                }
            }
            k = g;
        }
        // Longest first, no overlaps.
        found.sort_by_key(|(s, _)| (std::cmp::Reverse(s.len()), s.start));
        // Taken spans by start: they do not overlap, so the one starting
        // last before a span's end is the only one that can overlap it.
        let mut taken: std::collections::BTreeMap<usize, (Span, &OrgSuffix)> = Default::default();
        for (span, org) in found {
            if taken
                .range(..span.end)
                .next_back()
                .is_some_and(|(_, t)| t.0.overlaps(&span))
            {
                continue;
            }
            taken.insert(span.start, (span, org));
        }
        for (span, org) in taken.into_values() {
            out.push(Fact::new(
                span,
                FactData::Org(OrgFact {
                    name: span.slice(text).to_string(),
                    category: org.category.to_string(),
                }),
            ));
        }
    }

    /// Where the organization name ending in a suffix at `p` starts, or None
    /// when what precedes does not make a name.
    fn org_start(
        &self,
        text: &str,
        words: &Words<'_>,
        place_by_end: &[(usize, usize)],
        mut p: usize,
    ) -> Option<usize> {
        let sfx_start = p;
        // Plain words (`教科`, `太行钢铁`) are trusted only between the
        // suffix and a place or level on their left: verbs and adverbs
        // (`完成科协`, `推广温氏公司`) look just like them.
        let mut pending_words = 0;
        let mut anchored_at: Option<usize> = None;
        loop {
            // Place names chain (`山西省长治市`) and close the name on the left.
            let place_ending_at = |p: usize| {
                place_by_end
                    .binary_search_by_key(&p, |e| e.0)
                    .ok()
                    .and_then(|k| place_by_end.get(k))
                    .map(|e| e.1)
            };
            if let Some(s) = place_ending_at(p) {
                p = s;
                anchored_at = Some(p);
                if place_ending_at(p).is_some() {
                    continue;
                }
                break;
            }
            let before = text.get(..p)?;
            let last = before.chars().next_back();
            // Every name unit ends in one of these: most steps spare the
            // comparisons.
            let unit = match last {
                Some('区' | '道' | '国' | '家') => {
                    NAME_UNITS.iter().find(|u| before.ends_with(*u))
                }
                _ => None,
            };
            if let Some(u) = unit {
                p -= u.len();
                if matches!(*u, "中国" | "全国" | "国家") {
                    anchored_at = Some(p);
                    break;
                }
                // `心悦社区`, `城关街道`: one name word before the unit,
                // when it opens its clause.
                if let Some(ws) = words.word_ending_at(p) {
                    let w = text.get(ws..p).unwrap_or("");
                    // Only at a paragraph's start or after a quote or
                    // bracket: after a comma it is mostly a verb (`完善社区…`).
                    let opens = text
                        .get(..ws)
                        .and_then(|b| b.chars().next_back())
                        .is_none_or(|c| {
                            c.is_whitespace()
                                || matches!(c, '“' | '"' | '《' | '（' | '(' | '【' | '「')
                        });
                    if opens && (2..=4).contains(&w.chars().count()) && w.chars().all(is_han) {
                        p = ws;
                    }
                }
                anchored_at = Some(p);
                break;
            }
            let Some(c) = last else {
                break;
            };
            if LEVEL_CHARS.contains(&c) {
                // A bare level character (`县科协`, `全县科协` → `县科协`),
                // not the end of a word (`城乡学校`).
                let at = p - c.len_utf8();
                let prev = text.get(..at).and_then(|b| b.chars().next_back());
                if !words.starts_at(text, at)
                    && !prev.is_some_and(|c| matches!(c, '我' | '全' | '本' | '各' | '该'))
                {
                    break;
                }
                // Two plain words after a bare level are mostly a clause
                // (`县实现特殊教育学校`), not a department name.
                if pending_words > 1 {
                    break;
                }
                p -= c.len_utf8();
                anchored_at = Some(p);
                break;
            }
            if pending_words >= 2 {
                break;
            }
            // A whole word ending here, made of Han characters.
            let Some(ws) = words.word_ending_at(p) else {
                break;
            };
            let w = text.get(ws..p)?;
            let n = w.chars().count();
            if !(1..=4).contains(&n)
                || !w.chars().all(is_han)
                || self.org_stop_words.contains(w)
                || w.chars().any(|c| self.flags(c) & F_ORG_STOP != 0)
            {
                break;
            }
            p = ws;
            pending_words += 1;
        }
        let start = anchored_at?;
        if start == sfx_start {
            return None;
        }
        Some(start)
    }

    /// Villages: `…村` after a 2–3 character name that is a word of its own.
    fn find_villages(
        &self,
        text: &str,
        scan: &Scan,
        words: &Words<'_>,
        place_ends: &[usize],
        out: &mut Vec<Fact>,
    ) {
        for &i in &scan.cun {
            let end = i + '村'.len_utf8();
            // `村民`, `村委` …: `村` must end a word.
            if !words.ends_at(text, end) {
                continue;
            }
            if text[end..].chars().next().is_some_and(|c| {
                matches!(
                    c,
                    '民' | '委' | '级' | '庄' | '务' | '干' | '组' | '里' | '两' | '集'
                )
            }) {
                continue;
            }
            let before = &text[..i];
            let mut best = None;
            let mut start = i;
            for (n, c) in before.chars().rev().take(3).enumerate() {
                if !is_han(c) || self.flags(c) & F_VILLAGE_STOP != 0 {
                    break;
                }
                start -= c.len_utf8();
                if n >= 1 && words.starts_at(text, start) {
                    best = Some(start);
                }
            }
            let Some(s) = best else { continue };
            let name = &text[s..i];
            // Any ending of the name (the whole name included) in the list.
            let not_village = name
                .char_indices()
                .any(|(k, _)| name.get(k..).is_some_and(|e| self.not_village.contains(e)));
            if not_village {
                continue;
            }
            // The whole `XX村` must not be part of a longer word.
            if !words.starts_at(text, s) {
                continue;
            }
            // Names only where a place is expected: after a township or
            // county name (`西井镇北坡村`), in a list of villages
            // (`北坡村、五十亩村`), or after a word of going or being there.
            let prev = text[..s].chars().next_back();
            let next = text[end..].chars().next();
            let after_place = place_ends.binary_search(&s).is_ok();
            let in_list = prev == Some('、') || next == Some('、');
            let after_verb = [
                "在", "到", "赴", "驻", "对", "走进", "来到", "深入", "帮扶", "包联",
            ]
            .iter()
            .any(|w| text[..s].ends_with(w));
            if !(after_place || in_list || after_verb) {
                continue;
            }
            out.push(Fact::new(
                Span::new(s, end),
                FactData::Place(PlaceFact {
                    name: text[s..end].to_string(),
                    level: PlaceLevel::Village,
                    code: None,
                }),
            ));
        }
    }

    /// The region the document belongs to.
    pub fn region(&self, ctx: &ExtractContext<'_>, title: Option<&str>) -> Option<Region> {
        let words = Words::new(ctx.words);
        let scan = self.scan(ctx.text);
        let early = early_end(ctx.text);
        let mentions = self.find_mentions(ctx.text, &scan, &words, early);
        let resolved = self.resolve(&mentions);
        self.region_from(ctx, &scan, early, title, &mentions, &resolved)
    }

    /// Place and organization facts (as [`Extractor::extract`]) and the
    /// region (as [`Self::region`]) from one scan for place names.
    pub fn extract_with_region(
        &self,
        ctx: &ExtractContext<'_>,
        title: Option<&str>,
        out: &mut Vec<Fact>,
    ) -> Option<Region> {
        let words = Words::new(ctx.words);
        let scan = self.scan(ctx.text);
        let early = early_end(ctx.text);
        let mentions = self.find_mentions(ctx.text, &scan, &words, early);
        let resolved = self.resolve(&mentions);
        self.facts_from(ctx, &scan, &words, &mentions, &resolved, out);
        self.region_from(ctx, &scan, early, title, &mentions, &resolved)
    }

    /// The region, given the text's mentions and their resolution.
    fn region_from(
        &self,
        ctx: &ExtractContext<'_>,
        scan: &Scan,
        early_end: usize,
        title: Option<&str>,
        text_mentions: &[Mention],
        text_resolved: &[Option<u32>],
    ) -> Option<Region> {
        let mut extra: Vec<Mention> = Vec::new();
        // A title not found among the first lines is scanned on its own.
        if let Some(t) = title {
            let t = t.trim();
            let head = ctx.text.get(..early_end).unwrap_or(ctx.text);
            if !t.is_empty() && !head.contains(t) {
                let tw = Words::new(&[]);
                let ts = self.scan(t);
                for mut m in self.find_mentions(t, &ts, &tw, t.len()) {
                    // Mark as outside the text so spans are never used.
                    m.span = Span::new(usize::MAX - 1, usize::MAX);
                    extra.push(m);
                }
            }
        }
        // Title mentions add context: resolve again with them.
        let (mentions, resolved): (
            std::borrow::Cow<'_, [Mention]>,
            std::borrow::Cow<'_, [Option<u32>]>,
        ) = if extra.is_empty() {
            (text_mentions.into(), text_resolved.into())
        } else {
            let mut all = text_mentions.to_vec();
            all.extend(extra);
            let r = self.resolve(&all);
            (all.into(), r.into())
        };
        let res: Vec<Resolved> = resolved
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.map(|unit| Resolved { mention: i, unit }))
            .filter(|r| !mentions[r.mention].visit)
            .collect();
        if res.is_empty() {
            return None;
        }
        let cue = own_level(&scan.own);
        let early_all: Vec<u32> = res
            .iter()
            .filter(|r| mentions[r.mention].early)
            .map(|r| r.unit)
            .collect();
        // `全区` is an autonomous region's word as well as a district's.
        let cue = match cue {
            Some(Cue::Qu)
                if !early_all.iter().any(|&u| {
                    let unit = &self.units[u as usize];
                    unit.level == Level::County && unit.name.ends_with('区')
                }) && early_all.iter().any(|&u| {
                    let unit = &self.units[u as usize];
                    unit.level == Level::Province && unit.name.ends_with("自治区")
                }) =>
            {
                Some(Cue::Province)
            }
            c => c,
        };
        // The most specific level the document may speak from.
        let deepest = cue.map(|c| match c {
            Cue::Province => Level::Province,
            Cue::Shi | Cue::Xian | Cue::Qu => Level::County,
            Cue::Township => Level::Township,
        });
        // 1. The title and first lines: the most specific consistent unit.
        // Units below the level the document speaks from (a county named
        // in a provincial report's first lines) are not its own.
        let early: Vec<u32> = early_all
            .iter()
            .copied()
            .filter(|&u| deepest.is_none_or(|lv| self.units[u as usize].level <= lv))
            .collect();
        let mut own = self.most_specific_consistent(&early);

        // 2. Else, the dominant unit of the document's own level.
        if own.is_none() {
            if let Some(c) = cue {
                let mut freq: HashMap<u32, usize> = HashMap::new();
                for r in &res {
                    let u = &self.units[r.unit as usize];
                    let fits = match c {
                        Cue::Province => u.level == Level::Province,
                        Cue::Shi => {
                            u.level == Level::Prefecture
                                || (u.level == Level::County && u.name.ends_with('市'))
                        }
                        Cue::Xian => u.level == Level::County && !u.name.ends_with(['区', '市']),
                        Cue::Qu => u.level == Level::County && u.name.ends_with('区'),
                        Cue::Township => u.level == Level::Township,
                    };
                    if fits {
                        *freq.entry(r.unit).or_default() += 1;
                    }
                }
                let total: usize = freq.values().sum();
                let mut v: Vec<(u32, usize)> = freq.into_iter().collect();
                v.sort_by_key(|&(u, c)| (std::cmp::Reverse(c), u));
                if let Some(&(u, c)) = v.first() {
                    let second = v.get(1).map_or(0, |x| x.1);
                    if c >= 2 && c >= 2 * second && 2 * c > total {
                        own = Some(u);
                    }
                }
            }
        }
        let mut own = own?;
        // A township is the document's own only for a township-level text.
        if self.units[own as usize].level == Level::Township && cue != Some(Cue::Township) {
            own = self.units[own as usize].parent;
            if own == NONE {
                return None;
            }
        }
        let mut region = Region::default();
        for u in self.chain(own) {
            let unit = &self.units[u as usize];
            let name = Some(unit.name.to_string());
            match unit.level {
                Level::Province => region.province = name,
                Level::Prefecture => region.prefecture = name,
                Level::County => region.county = name,
                Level::Township => region.township = name,
            }
        }
        // Municipalities: the prefecture row repeats the province name.
        if region.prefecture.is_none()
            && region.county.is_some()
            && region
                .province
                .as_deref()
                .is_some_and(|p| p.ends_with('市'))
        {
            region.prefecture = region.province.clone();
        }
        region.code = Some(self.full_code(own));
        Some(region)
    }

    /// The most specific unit named in `units` on which they all agree:
    /// every named unit of a higher level must be among its ancestors, and
    /// two different units of the same level (two counties) fall back to
    /// the level above, where they must agree again.
    fn most_specific_consistent(&self, units: &[u32]) -> Option<u32> {
        for lv in [
            Level::Township,
            Level::County,
            Level::Prefecture,
            Level::Province,
        ] {
            let mut at: Vec<u32> = units
                .iter()
                .copied()
                .filter(|&u| self.units[u as usize].level == lv)
                .collect();
            at.sort_unstable();
            at.dedup();
            if at.len() != 1 {
                continue;
            }
            let u = at[0];
            let consistent = units.iter().all(|&o| {
                let olv = self.units[o as usize].level;
                olv >= lv || self.is_ancestor(o, u)
            });
            if consistent {
                return Some(u);
            }
        }
        None
    }
}

/// The only item of an iterator, if it yields exactly one.
fn only<T>(mut it: impl Iterator<Item = T>) -> Option<T> {
    let first = it.next()?;
    match it.next() {
        None => Some(first),
        Some(_) => None,
    }
}

/// Nodes of the reversed name trie with more children than this are
/// looked up in `rev_big`, the others by binary search of their (cached)
/// child lists.
const BIG_FANOUT: usize = 16;

/// Home slot of the edge (node, c) in `rev_big` of `size` slots (a power
/// of two).
#[inline]
fn big_slot(node: u32, c: char, size: usize) -> usize {
    let key = (u64::from(node) << 32) | u64::from(c as u32);
    ((key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize) & size.wrapping_sub(1)
}

/// Size of `short_bits` (a power of two): ~4k short names set well under
/// 1 % of its bits.
const SHORT_BITS: usize = 1 << 19;

/// Bit index in `short_bits` of a name of at least 6 bytes: a multiplicative
/// hash of its first 6 bytes and its length.
fn short_key(name: &str) -> usize {
    short_key_of(name.as_bytes(), name.len())
}

/// [`short_key`] of a name of `len` bytes whose first bytes are `head`.
fn short_key_of(head: &[u8], len: usize) -> usize {
    match head {
        &[a, b, c, d, e, f, ..] => {
            short_key_hash(u64::from_be_bytes([0, 0, a, b, c, d, e, f]), len)
        }
        _ => {
            let mut x = len as u64;
            for &c in head {
                x = (x << 8) | u64::from(c);
            }
            short_key_mix(x)
        }
    }
}

/// [`short_key`] of a name of `len` bytes whose first 6 bytes, read
/// big-endian, are `head6`.
#[inline]
fn short_key_hash(head6: u64, len: usize) -> usize {
    // `len` then the 6 bytes.
    short_key_mix((len as u64) << 48 | (head6 & 0xFFFF_FFFF_FFFF))
}

#[inline]
fn short_key_mix(x: u64) -> usize {
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 19)) as usize
}

/// Byte offset ending the "first lines" of a text: about 240 characters
/// (where the 241st char starts, or the text's end).
fn early_end(text: &str) -> usize {
    const CHARS: usize = 240;
    // Chars are counted by their lead bytes (those not `10xxxxxx`), eight
    // bytes at a time while the chunk cannot hold the 241st char's lead.
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let b = text.as_bytes();
    let mut i = 0;
    let mut left = CHARS;
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let w = u64::from_le_bytes(chunk);
        // Bit 7 of each continuation byte, summed by one multiply.
        let cont =
            (((w & !(w << 1) & HIGH) >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as usize;
        let leads = 8 - cont;
        if leads > left {
            break;
        }
        left -= leads;
        i += 8;
    }
    while let Some(&x) = b.get(i) {
        if x & 0xC0 != 0x80 {
            if left == 0 {
                return i;
            }
            left -= 1;
        }
        i += 1;
    }
    text.len()
}

/// The sentence (between 。！？；\n) holding a span, given the text's
/// sentence-ending chars as (start, end) in order (`Scan::sent`). A span
/// outside the text (a title's mention) gets the whole text.
fn sentence_bounds(text: &str, sent: &[(usize, usize)], span: Span) -> Span {
    // The first ending char that starts at or after the span's start: the
    // one before it closes the previous sentence.
    let k = sent.partition_point(|&(s, _)| s < span.start);
    let start = match k.checked_sub(1).and_then(|k| sent.get(k)) {
        Some(&(_, e)) if span.start <= text.len() => e,
        _ => 0,
    };
    let k = k + sent[k..].partition_point(|&(s, _)| s < span.end);
    let end = match sent.get(k) {
        Some(&(s, _)) if span.end <= text.len() => s,
        _ => text.len(),
    };
    Span::new(start.min(span.start), end.max(span.end))
}

/// The level word a document speaks with (`我县`, `全市` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Province,
    /// `市`: a prefecture or a county-level city.
    Shi,
    Xian,
    /// `区`: a district or an autonomous region.
    Qu,
    Township,
}

/// Word boundaries of a text (all positions count when no words are given).
/// The words are in text order and do not overlap, so their starts and
/// their ends are both sorted: look-ups are binary searches, nothing is
/// built per document.
struct Words<'a> {
    spans: &'a [Span],
    any: bool,
}

impl<'a> Words<'a> {
    fn new(words: &'a [Span]) -> Self {
        Words {
            spans: words,
            any: words.is_empty(),
        }
    }
    /// A word starts at `i`; the start of text and a non-Han character
    /// before `i` are boundaries too.
    fn starts_at(&self, text: &str, i: usize) -> bool {
        if self.any || i == 0 {
            return true;
        }
        if text
            .get(..i)
            .and_then(|b| b.chars().next_back())
            .is_some_and(|c| !is_han(c))
        {
            return true;
        }
        self.spans.binary_search_by_key(&i, |w| w.start).is_ok()
    }
    fn ends_at(&self, text: &str, i: usize) -> bool {
        if self.any || i >= text.len() {
            return true;
        }
        if text
            .get(i..)
            .and_then(|a| a.chars().next())
            .is_some_and(|c| !is_han(c))
        {
            return true;
        }
        self.word_ending_at(i).is_some()
    }
    fn is_word(&self, start: usize, end: usize) -> bool {
        self.any || self.word_ending_at(end) == Some(start)
    }
    fn word_ending_at(&self, i: usize) -> Option<usize> {
        self.spans
            .binary_search_by_key(&i, |w| w.end)
            .ok()
            .map(|k| self.spans[k].start)
    }
}

/// The level a document speaks from, by its `我县`/`全县`/`本县` words,
/// counted by [`EntityExtractor::scan`] as `Scan::own`.
fn own_level(n: &[usize; 5]) -> Option<Cue> {
    let v = [
        (Cue::Province, n[0]),
        (Cue::Shi, n[1]),
        (Cue::Xian, n[2]),
        (Cue::Qu, n[3]),
        (Cue::Township, n[4]),
    ];
    // Ties go to the higher level (listed first).
    let mut best: Option<(Cue, usize)> = None;
    for (c, n) in v {
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((c, n));
        }
    }
    best.map(|(c, _)| c)
}

impl Extractor for EntityExtractor {
    fn name(&self) -> &'static str {
        "entity"
    }

    fn extract(&self, ctx: &ExtractContext<'_>, out: &mut Vec<Fact>) {
        let words = Words::new(ctx.words);
        let scan = self.scan(ctx.text);
        let mentions = self.find_mentions(ctx.text, &scan, &words, early_end(ctx.text));
        let resolved = self.resolve(&mentions);
        self.facts_from(ctx, &scan, &words, &mentions, &resolved, out);
    }
}

impl EntityExtractor {
    fn facts_from(
        &self,
        ctx: &ExtractContext<'_>,
        scan: &Scan,
        words: &Words<'_>,
        mentions: &[Mention],
        resolved: &[Option<u32>],
        out: &mut Vec<Fact>,
    ) {
        let text = ctx.text;
        for (m, u) in mentions.iter().zip(resolved) {
            let Some(u) = *u else { continue };
            let unit = &self.units[u as usize];
            out.push(Fact::new(
                m.span,
                FactData::Place(PlaceFact {
                    name: m.span.slice(text).to_string(),
                    level: unit.level.place_level(),
                    code: Some(self.full_code(u)),
                }),
            ));
        }
        // Mentions do not overlap, so their ends are sorted.
        let place_ends: Vec<usize> = mentions.iter().map(|m| m.span.end).collect();
        self.find_villages(text, scan, words, &place_ends, out);
        // Unresolved short names (`惠民` in `惠民实事`) anchor no organization.
        let anchors: Vec<(usize, usize)> = mentions
            .iter()
            .zip(resolved)
            .filter(|(m, u)| !m.short || u.is_some())
            .map(|(m, _)| (m.span.end, m.span.start))
            .collect();
        self.find_orgs(text, scan, words, &anchors, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{self, ChineseWordSegmenter, WordSegmenter};
    use std::sync::LazyLock;

    static EX: LazyLock<EntityExtractor> =
        LazyLock::new(|| EntityExtractor::new(&DataDir::embedded_only()).expect("data"));
    static SEG: LazyLock<ChineseWordSegmenter> =
        LazyLock::new(|| ChineseWordSegmenter::new(&DataDir::embedded_only()).expect("jieba"));

    /// Facts and region of a text, through the same steps as the pipeline.
    fn run(text: &str, title: Option<&str>) -> (Vec<Fact>, Option<Region>) {
        let paragraphs = segment::paragraphs(text, &[]);
        let sentences = segment::sentences(text, &paragraphs);
        let mut words = Vec::new();
        for s in &sentences {
            SEG.segment_into(s.span.slice(text), s.span.start, &mut words);
        }
        let ctx = ExtractContext {
            text,
            paragraphs: &paragraphs,
            sentences: &sentences,
            sections: &[],
            words: &words,
            year: None,
            year_inferred: false,
        };
        let mut out = Vec::new();
        EX.extract(&ctx, &mut out);
        (out, EX.region(&ctx, title))
    }

    fn code(text: &str) -> Option<String> {
        run(text, None).1.and_then(|r| r.code)
    }

    #[test]
    fn region_cases() {
        let cases: &[(&str, Option<&str>)] = &[
            // Full chain in the title.
            ("山西省长治市沁县科协2024年工作总结\n　　一年来，我县科协在县委的领导下开展工作。", Some("140430")),
            // A county named only as a visit is not the document's own.
            (
                "　　县科协在县委、县政府的领导下开展工作。\n　　5月，组织人员赴武乡县科协进行外出对标学习。全县科技工作者积极参与。",
                None,
            ),
            // Ambiguous full name alone (北京/长春 朝阳区) → nothing …
            ("朝阳区科协工作总结\n　　我区科协全年开展科普活动。", None),
            // … resolved by its prefecture/province.
            ("北京市朝阳区科协工作总结\n　　我区科协全年开展科普活动。", Some("110105")),
            // Ambiguous short name alone → nothing; with its province → resolved.
            ("鼓楼科协工作总结\n　　全区科协工作。", None),
            // Former names resolve to the current successor's code.
            ("蓟县科协工作总结\n　　全县科普工作取得成绩。", Some("120119")),
            ("闸北区科协工作总结\n　　全区科普工作取得成绩。", Some("310106")),
            // Autonomous county written short+县.
            ("长阳县科协工作总结\n　　全县科普工作。", Some("420528")),
            // A township inside its named county, for a township document.
            ("黎城县西井镇科协工作总结\n　　全镇科普工作取得成绩。", Some("140426103")),
            // The same township in a county document: the county.
            ("黎城县科协工作总结\n　　全县在西井镇开展科普活动。", Some("140426")),
            // A nationally ambiguous township alone → nothing.
            ("城关镇科协工作总结\n　　全镇科普工作取得成绩。", None),
            // A provincial report: the province, not the cities it lists.
            (
                "2026年山西省政府工作报告\n　　全省经济稳中有进。太原市、大同市、长治市加快转型。全省人民团结奋斗。",
                Some("140000"),
            ),
            // An autonomous region speaks of 全区.
            ("西藏自治区政府工作报告\n　　林芝市嘎拉村村民来信，全区上下深受鼓舞。全区经济增长。", Some("540000")),
            // `科教兴镇` names no township.
            ("　　实施科教兴镇战略，全镇干群科学文化水平提高。", None),
            // Body frequency at the document's level, without a title.
            (
                "　　今年以来，我县科协工作取得成绩。\n　　黎城县科协组织培训。黎城县科普大集在县城举行。全县参与。",
                Some("140426"),
            ),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(code(text).as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn region_fills_parents_and_takes_title() {
        let (_, r) = run(
            "　　全县科普工作取得成绩。",
            Some("山西省长治市沁县科协工作总结"),
        );
        let r = r.expect("region from title");
        assert_eq!(r.province.as_deref(), Some("山西省"));
        assert_eq!(r.prefecture.as_deref(), Some("长治市"));
        assert_eq!(r.county.as_deref(), Some("沁县"));
        assert_eq!(r.township, None);
        assert_eq!(r.code.as_deref(), Some("140430"));
        // A former name reports the successor's current name with its code.
        let (_, r) = run("蓟县科协工作总结\n　　全县科普工作。", None);
        assert_eq!(r.and_then(|r| r.county).as_deref(), Some("蓟州区"));
    }

    fn places(text: &str) -> Vec<(String, PlaceLevel, Option<String>)> {
        run(text, None)
            .0
            .into_iter()
            .filter_map(|f| match f.data {
                FactData::Place(p) => Some((p.name, p.level, p.code)),
                _ => None,
            })
            .collect()
    }

    fn orgs(text: &str) -> Vec<(String, String)> {
        run(text, None)
            .0
            .into_iter()
            .filter_map(|f| match f.data {
                FactData::Org(o) => Some((o.name, o.category)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn place_cases() {
        use PlaceLevel::*;
        let p = places("山西省长治市沁县科协来到黎城县西井镇北坡村、五十亩村调研。");
        let want = [
            ("山西省", Province, Some("140000")),
            ("长治市", Prefecture, Some("140400")),
            ("沁县", County, Some("140430")),
            ("黎城县", County, Some("140426")),
            ("西井镇", Township, Some("140426103")),
            ("北坡村", Village, None),
            ("五十亩村", Village, None),
        ];
        for (name, level, code) in want {
            assert!(
                p.iter()
                    .any(|(n, l, c)| n == name && *l == level && c.as_deref() == code),
                "{name} missing in {p:?}"
            );
        }
        // Not village names.
        for text in [
            "帮扶10个贫困村。",
            "全县行政村全覆盖。",
            "深入农村开展科普。",
            "全村村民参加。",
            "各村都有科普栏。",
            "该村建成科普长廊。",
            "组织村民学习技术。",
        ] {
            let v: Vec<_> = places(text)
                .into_iter()
                .filter(|p| p.1 == Village)
                .collect();
            assert!(v.is_empty(), "{text}: {v:?}");
        }
        // Short names need context; ambiguous ones need their parent.
        assert!(places("武乡的小米很有名。").is_empty());
        assert!(places("山西武乡的小米很有名。")
            .iter()
            .any(|p| p.0 == "武乡" && p.2.as_deref() == Some("140429")));
        assert!(!places("朝阳区开展活动。").iter().any(|p| p.0 == "朝阳区"));
        // A township needs its county: 城关镇 alone is everywhere.
        assert!(!places("城关镇开展活动。").iter().any(|p| p.0 == "城关镇"));
        // `振兴县域经济` names no 兴县; `市和县` names no 和县.
        let p = places("振兴县域经济。省、市和县科协。");
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn org_cases() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "在县委、县政府的正确领导下",
                &[("县委", "party"), ("县政府", "government")],
            ),
            ("在省、市科协的关心指导下", &[("市科协", "kexie")]),
            (
                "组织人员赴武乡县科协进行外出对标",
                &[("武乡县科协", "kexie")],
            ),
            ("联合县教科局举办竞赛", &[("县教科局", "government")]),
            (
                "　　心悦社区老科协充分发挥作用",
                &[("心悦社区老科协", "kexie")],
            ),
            (
                "与黎城县太行钢铁有限公司合作",
                &[("黎城县太行钢铁有限公司", "company")],
            ),
            ("经中国科协批准", &[("中国科协", "kexie")]),
            ("街道党工委高度重视", &[("街道党工委", "party")]),
            // Verbs and bare suffixes are not organizations.
            ("努力完成科协的各项任务", &[]),
            ("充分利用学校的资源", &[]),
            ("县局长来了", &[]),
            ("举办培训", &[]),
        ];
        for (text, want) in cases {
            let got = orgs(text);
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "{text}");
        }
    }

    /// The one-pass scan finds what plain searches find: every suffix
    /// ending anywhere, every 村, sentence end and visit word, and the
    /// own-level counts; sentence bounds agree with a search both ways.
    #[test]
    fn scan_matches_plain_searches() {
        let texts = [
            "山西省长治市沁县科协来到黎城县西井镇北坡村、五十亩村调研。赴武乡县科协交流学习！",
            "我县科协、全县妇联和本市人民政府办公室；县委宣传部?县委员会\n我镇街道办事处全区",
            "𠀀县科协𠀀。a村;b\n老科技工作者协会研究会联合会委",
            "ends in a suffix 科协",
            "",
        ];
        let ex = &*EX;
        for text in texts {
            let sc = ex.scan(text);
            // Suffixes: (end, start, index) for every occurrence.
            let mut want: Vec<(usize, usize, u32)> = Vec::new();
            // `org_list` is in the suffixes' sorted order.
            let mut sorted: Vec<&str> = ex.orgs.keys().map(|k| k.as_ref()).collect();
            sorted.sort_unstable();
            assert_eq!(sorted.len(), ex.org_list.len());
            for (k, pat) in sorted.into_iter().enumerate() {
                for (st, _) in text.match_indices(pat) {
                    want.push((st + pat.len(), st, k as u32));
                }
            }
            want.sort_unstable();
            assert_eq!(sc.org_hits, want, "{text}");
            let cun: Vec<usize> = text.match_indices('村').map(|m| m.0).collect();
            assert_eq!(sc.cun, cun);
            let is_end = |c: char| matches!(c, '。' | '！' | '？' | '；' | '\n' | '!' | '?' | ';');
            let sent: Vec<(usize, usize)> = text
                .char_indices()
                .filter(|&(_, c)| is_end(c))
                .map(|(k, c)| (k, k + c.len_utf8()))
                .collect();
            assert_eq!(sc.sent, sent);
            let mut visit: Vec<usize> = VISIT_WORDS
                .iter()
                .flat_map(|w| text.match_indices(w).map(|m| m.0 + w.len()))
                .collect();
            visit.sort_unstable();
            visit.dedup();
            assert_eq!(sc.visit_ends, visit);
            let full: Vec<usize> = text
                .char_indices()
                .filter(|&(_, c)| ex.rev_child(0, c).is_some())
                .map(|m| m.0)
                .collect();
            assert_eq!(sc.full, full);
            let mut own = [0usize; 5];
            for (k, _) in text.match_indices(['我', '全', '本']) {
                let rest = &text[k + 3..];
                match rest.chars().next() {
                    Some('省') => own[0] += 1,
                    Some('市') => own[1] += 1,
                    Some('县' | '旗') => own[2] += 1,
                    Some('区') => own[3] += 1,
                    Some('镇' | '乡') => own[4] += 1,
                    Some('街') if rest.starts_with("街道") => own[4] += 1,
                    _ => {}
                }
            }
            assert_eq!(sc.own, own, "{text}");
            // Sentence bounds of every char span, against rfind/find.
            for (k, c) in text.char_indices() {
                let span = Span::new(k, k + c.len_utf8());
                let start = text[..k].rfind(is_end).map_or(0, |i| {
                    i + text[i..].chars().next().map_or(1, char::len_utf8)
                });
                let end = text[span.end..]
                    .find(is_end)
                    .map_or(text.len(), |i| span.end + i);
                let want = Span::new(start.min(span.start), end.max(span.end));
                assert_eq!(sentence_bounds(text, &sc.sent, span), want, "{text} {k}");
            }
        }
    }

    /// The end of the first lines is the start of the 241st char.
    #[test]
    fn early_end_matches_char_indices() {
        let long = "山西a省ü长治𠀀市".repeat(40);
        for text in [
            "",
            "abc",
            "一二三",
            &long,
            &long[..650],
            &long[..665],
            &long[..675],
        ] {
            let want = text.char_indices().nth(240).map_or(text.len(), |(i, _)| i);
            assert_eq!(early_end(text), want, "{}", text.len());
        }
    }

    /// Region codes are zero-padded to 6 digits, townships to 9.
    #[test]
    fn full_code_pads() {
        let ex = &*EX;
        for (i, u) in ex.units.iter().enumerate().step_by(997) {
            let want = match u.digits {
                2 => format!("{:02}0000", u.code),
                4 => format!("{:04}00", u.code),
                6 => format!("{:06}", u.code),
                _ => format!("{:09}", u.code),
            };
            assert_eq!(ex.full_code(i as u32), want);
        }
    }

    proptest::proptest! {
        /// Texts around the 240-char mark, chars of every width.
        #[test]
        fn early_end_is_the_241st_char(s in "[a-zé山𠀀]{200,300}") {
            let want = s.char_indices().nth(240).map_or(s.len(), |(i, _)| i);
            proptest::prop_assert_eq!(early_end(&s), want);
        }

        #[test]
        fn never_panics_and_spans_are_surfaces(s in "\\PC{0,80}", t in "[县市区镇乡村科协委局办省长治沁黎城武乡西井北坡，。\\n ]{0,40}") {
            for text in [s.as_str(), t.as_str(), &format!("{t}{s}")] {
                let (facts, _) = run(text, Some(text));
                for f in facts {
                    proptest::prop_assert!(text.is_char_boundary(f.span.start));
                    proptest::prop_assert!(text.is_char_boundary(f.span.end));
                    let surface = f.span.slice(text);
                    match &f.data {
                        FactData::Place(p) => proptest::prop_assert_eq!(&p.name, surface),
                        FactData::Org(o) => proptest::prop_assert_eq!(&o.name, surface),
                        _ => {}
                    }
                }
            }
        }
    }
}
