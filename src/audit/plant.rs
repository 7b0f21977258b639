//! A seeded generator of planted-error corpora: clean township 科协 work
//! summaries in the style of the fixtures, and the same texts with known
//! errors of every audit rule inserted at recorded byte positions.
//!
//! Every random draw is made whether or not an error is planted, so a
//! planted text differs from its clean original only at the planted spots.

use std::collections::BTreeSet;

/// Every rule the generator plants.
pub const PLANTED_RULES: &[&str] = &[
    "placeholder_figure",
    "placeholder_date",
    "placeholder_text",
    "impossible_date",
    "backwards_range",
    "degenerate_range",
    "date_outside_year",
    "sum_mismatch",
    "enumeration_mismatch",
    "part_exceeds_total",
    "percent_over_100",
    "impossible_value",
    "inconsistent_figure",
    "copied_paragraph",
    "repeated_figure",
];

/// One planted error: where it is and which rule must find it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plant {
    pub doc: usize,
    pub rule: &'static str,
    /// Byte span in the planted text.
    pub start: usize,
    pub end: usize,
    /// For cross-document rules, the other document involved.
    pub other: Option<usize>,
}

/// One generated document.
#[derive(Debug, Clone)]
pub struct GenDoc {
    pub doc_id: String,
    pub year: i32,
    pub town: String,
    pub clean: String,
    pub planted: String,
}

/// A planted corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub docs: Vec<GenDoc>,
    pub plants: Vec<Plant>,
}

/// splitmix64: small, seedable, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e3779b97f4a7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next_u64() % xs.len() as u64) as usize]
    }
    /// `n` distinct items.
    pub fn sample<'a, T>(&mut self, xs: &'a [T], n: usize) -> Vec<&'a T> {
        let mut idx: Vec<usize> = (0..xs.len()).collect();
        for i in 0..idx.len() {
            let j = i + (self.next_u64() % (idx.len() - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.into_iter().take(n).map(|i| &xs[i]).collect()
    }
}

const TOWNS: &[&str] = &[
    "西井镇",
    "东关镇",
    "南岭乡",
    "北坡镇",
    "石门乡",
    "柳林镇",
    "河口镇",
    "青山乡",
    "白水镇",
    "黄土坡乡",
    "龙泉镇",
    "杏花乡",
    "双桥镇",
    "三道河乡",
    "红星镇",
    "马坊镇",
    "草滩乡",
    "高庄镇",
    "桃园乡",
    "新华镇",
    "金沙镇",
    "古城乡",
    "永安镇",
    "长乐乡",
    "太平镇",
    "清泉乡",
    "梨园镇",
    "大营乡",
    "坪上镇",
    "沙河镇",
];
const VILLAGES: &[&str] = &[
    "北坡村",
    "东骆驼村",
    "后贾岭村",
    "前进村",
    "王家庄村",
    "李家沟村",
    "张村",
    "下河村",
    "上庄村",
    "红旗村",
    "柳树湾村",
    "杨家岭村",
    "石板村",
    "高家堡村",
    "新庄村",
    "赵家洼村",
    "冯家寨村",
    "南窑村",
];
const TOPICS: &[&str] = &[
    "果树修剪",
    "设施蔬菜种植",
    "肉牛养殖",
    "食用菌栽培",
    "农村电商",
    "病虫害防治",
    "中药材种植",
    "生猪养殖",
    "小杂粮种植",
    "蜜蜂养殖",
    "测土配方施肥",
    "农机操作",
];
const STAGES: &[&str] = &[
    "宣传发动",
    "组织实施",
    "检查督导",
    "总结表彰",
    "调查摸底",
    "集中培训",
    "巩固提高",
    "考核验收",
];
const ASPECTS: &[&str] = &[
    "抓好理论学习，提高干部队伍素质",
    "抓好科普阵地建设，完善科普画廊和科普活动室",
    "抓好农村实用技术培训，提高农民致富本领",
    "抓好青少年科普教育，培养学生科学兴趣",
    "抓好基层组织建设，发挥农技协作用",
    "抓好科技助力乡村振兴，服务产业发展",
];
const PEOPLE: &[&str] = &[
    "王建华",
    "李秀梅",
    "张国强",
    "刘志刚",
    "陈玉兰",
    "赵德明",
    "孙丽娟",
    "周文斌",
];
const UNIQUE_BITS: &[&str] = &[
    "组织种植大户赴邻县现代农业园区观摩学习",
    "聘请市农科院专家开展田间地头现场指导",
    "建成村级科普宣传栏并定期更换宣传内容",
    "依托农民专业合作社开展技术推广示范",
    "利用微信群推送农业实用技术和防灾减灾知识",
    "结合冬春农闲时节组织技术骨干上门服务",
    "在集市日设立科技咨询台解答群众问题",
    "引导返乡青年发展特色种养产业",
    "协助企业申报科技项目并对接高校院所",
    "组织老科技工作者为留守儿童开展科学小实验",
    "在镇文化广场举办科普大篷车巡展",
    "为养殖户免费检测饲料和兽药质量",
    "联合镇卫生院开展健康知识进农家活动",
    "指导村民使用智能手机查询农产品行情",
    "在田间设立病虫害监测点并发布预警",
    "推广秸秆还田和地膜回收等绿色技术",
    "为种植户引进脱毒马铃薯新品种",
    "组织妇女学习手工编织和家政服务技能",
    "开展应急避险和消防安全演练",
    "对村级农技员进行集中轮训",
];

/// Text under construction with the spans of planted errors.
struct Builder {
    text: String,
    marks: Vec<(&'static str, usize, usize, Option<usize>)>,
}

impl Builder {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
    fn mark(&mut self, rule: &'static str, s: &str, other: Option<usize>) {
        let start = self.text.len();
        self.text.push_str(s);
        self.marks.push((rule, start, self.text.len(), other));
    }
    /// Push `s`, marked as `rule` when `on`.
    fn maybe(&mut self, on: bool, rule: &'static str, s: &str) {
        if on {
            self.mark(rule, s, None);
        } else {
            self.push(s);
        }
    }
}

/// Chinese numerals for small counts.
fn cn(n: i64) -> &'static str {
    [
        "零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十",
    ]
    .get(n as usize)
    .copied()
    .unwrap_or("十")
}

/// Per-document values other documents refer to (copies, repeated figures).
struct Shared {
    unique_para: Vec<String>,
    consult: Vec<i64>,
}

/// Which rules are planted in document `i`: each rule in about a third of
/// the documents, each document with several rules.
fn rules_for(i: usize) -> BTreeSet<&'static str> {
    PLANTED_RULES
        .iter()
        .enumerate()
        .filter(|(r, _)| (i + r) % 3 == 0)
        .map(|(_, r)| *r)
        .collect()
}

/// Generate `n` documents (n ≥ 6) from `seed`.
pub fn generate(seed: u64, n: usize) -> Corpus {
    let n = n.max(6);
    let mut rng = Rng::new(seed);
    let towns = rng.sample(TOWNS, n.min(TOWNS.len()));
    let shared = Shared {
        unique_para: (0..n)
            .map(|i| {
                let bits = rng.sample(UNIQUE_BITS, 3);
                let v = rng.sample(VILLAGES, 2);
                let who = rng.pick(PEOPLE);
                format!(
                    "{}科协在{}、{}两村{}，{}，{}。科协副主席{}同志带队走访农户，逐户登记技术需求，建立了服务台账，做到需求清、底数明、措施实。",
                    towns[i % towns.len()],
                    v[0],
                    v[1],
                    bits[0],
                    bits[1],
                    bits[2],
                    who
                )
            })
            .collect(),
        consult: (0..n).map(|i| 1000 + 137 * i as i64 + rng.range(1, 9)).collect(),
    };
    let mut docs = Vec::new();
    let mut plants = Vec::new();
    for i in 0..n {
        let year = 2019 + (i % 6) as i32;
        let town = format!(
            "{}{}",
            towns[i % towns.len()],
            if i >= towns.len() { "二" } else { "" }
        );
        let doc_seed = rng.next_u64();
        let clean = build(i, year, &town, &BTreeSet::new(), &shared, doc_seed, n);
        let planted = build(i, year, &town, &rules_for(i), &shared, doc_seed, n);
        for (rule, start, end, other) in planted.marks {
            plants.push(Plant {
                doc: i,
                rule,
                start,
                end,
                other,
            });
        }
        docs.push(GenDoc {
            doc_id: format!("planted-{i:03}"),
            year,
            town,
            clean: clean.text,
            planted: planted.text,
        });
    }
    Corpus { docs, plants }
}

fn build(
    i: usize,
    year: i32,
    town: &str,
    rules: &BTreeSet<&'static str>,
    shared: &Shared,
    seed: u64,
    n: usize,
) -> Builder {
    let on = |r: &str| rules.contains(r);
    let mut rng = Rng::new(seed);
    let mut b = Builder {
        text: String::new(),
        marks: Vec::new(),
    };
    let vs = rng.sample(VILLAGES, 6);
    let ts = rng.sample(TOPICS, 4);
    b.push(&format!("{town}科协{year}年工作总结\n"));
    b.push(&format!(
        "　　{year}年，{town}科协在镇党委、政府的正确领导下，在县科协的关心指导下，团结带领全镇广大科技工作者，求真务实、开拓创新，各项工作取得了新的成效。现将全年工作总结如下：\n"
    ));
    b.push(&format!("一、{year}年主要工作\n"));

    // (一) Organization: members, with a `其中` part.
    b.push("（一）加强组织建设，壮大科普队伍\n");
    let members = rng.range(180, 900);
    let women = rng.range(40, members / 2);
    let new_members = rng.range(12, 60);
    b.push(&format!("　　全镇共有会员{members}人，其中女会员"));
    let women_shown = if on("part_exceeds_total") {
        members + 10 + (i as i64 * 7) % 80
    } else {
        women
    };
    b.maybe(
        on("part_exceeds_total"),
        "part_exceeds_total",
        &format!("{women_shown}人"),
    );
    b.push(&format!(
        "。今年新发展会员{new_members}人，新建村级科普协会{}个。",
        rng.range(2, 6)
    ));
    let month_meeting = rng.range(2, 4);
    let day_meeting = rng.range(3, 25);
    if on("placeholder_date") {
        b.mark(
            "placeholder_date",
            ["20xx年", "__年", "20XX年", "202X年"][i % 4],
            None,
        );
    } else {
        b.push(&format!("{year}年"));
    }
    b.push(&format!(
        "{month_meeting}月{day_meeting}日，镇科协召开全镇科协工作会议，"
    ));
    if on("placeholder_text") {
        b.push("由");
        b.mark(
            "placeholder_text",
            if i % 2 == 0 { "某某" } else { "XX" },
            None,
        );
        b.push("同志作工作报告。\n");
    } else {
        b.push(&format!("由科协主席{}同志作工作报告。\n", rng.pick(PEOPLE)));
    }

    // (二) Training: listed trainings and their total.
    b.push("（二）开展技术培训，提高农民素质\n");
    let mut total = 0;
    let mut months: Vec<i64> = (0..3).map(|_| rng.range(3, 11)).collect();
    months.sort_unstable();
    b.push("　　");
    for (k, m) in months.iter().enumerate() {
        let periods = rng.range(2, 6);
        let people = rng.range(40, 300);
        total += periods;
        let sep = if k == 2 { "。" } else { "；" };
        b.push(&format!(
            "{m}月{}日，在{}举办{}培训{periods}期，培训农民{people}人次{sep}",
            rng.range(1, 28),
            vs[k],
            ts[k]
        ));
    }
    let total_shown = if on("sum_mismatch") {
        total + 2 + (i as i64) % 3
    } else {
        total
    };
    // Totals are phrased several ways; the rules must follow the language.
    b.push(
        [
            "全年共举办培训",
            "全年累计举办培训",
            "以上合计举办培训",
            "共计开展培训",
        ][i % 4],
    );
    b.maybe(
        on("sum_mismatch"),
        "sum_mismatch",
        &format!("{total_shown}期"),
    );
    b.push("，");
    let materials = rng.range(1200, 5000);
    b.push("发放科普资料");
    if on("placeholder_figure") {
        b.mark(
            "placeholder_figure",
            ["XX份", "xx份", "ＸＸ份", "__份"][i % 4],
            None,
        );
    } else {
        b.push(&format!("{materials}份"));
    }
    b.push("。\n");
    let (m1, d1) = (rng.range(4, 6), rng.range(1, 28));
    let (m2, d2) = (rng.range(8, 11), rng.range(1, 28));
    b.push("　　");
    if on("backwards_range") {
        b.mark(
            "backwards_range",
            &format!("{m2}月{d2}日至{m1}月{d1}日"),
            None,
        );
    } else {
        b.push(&format!("{m1}月{d1}日至{m2}月{d2}日"));
    }
    b.push(&format!(
        "，镇科协在{}、{}等村开展科技下乡活动，组织专家现场解答群众提出的问题。",
        vs[3], vs[4]
    ));
    let (m3, d3) = (rng.range(5, 10), rng.range(2, 27));
    if on("date_outside_year") {
        b.mark(
            "date_outside_year",
            &format!("{}年{m3}月{d3}日", year - 1),
            None,
        );
    } else {
        b.push(&format!("{m3}月{d3}日"));
    }
    b.push(&format!(
        "，镇科协组织农技人员深入{}开展{}技术指导。\n",
        vs[5], ts[3]
    ));

    // (三) Popularization: stages, shares.
    b.push("（三）抓好科普宣传，营造良好氛围\n");
    let n_stages = rng.range(3, 5);
    let stages = rng.sample(STAGES, n_stages as usize);
    let stated = if on("enumeration_mismatch") {
        n_stages + 1
    } else {
        n_stages
    };
    let list: Vec<&str> = stages.iter().map(|s| **s).collect();
    let last = list.len() - 1;
    let stated_text = format!("{}个阶段", cn(stated));
    match i % 3 {
        0 => {
            b.push("　　科普宣传月活动共分");
            b.maybe(
                on("enumeration_mismatch"),
                "enumeration_mismatch",
                &stated_text,
            );
            b.push(&format!("：{}和{}。", list[..last].join("、"), list[last]));
        }
        1 => {
            b.push("　　科普宣传月活动分为");
            b.maybe(
                on("enumeration_mismatch"),
                "enumeration_mismatch",
                &stated_text,
            );
            b.push(&format!("，即{}。", list.join("、")));
        }
        _ => {
            b.push(&format!(
                "　　科普宣传月活动按照{}和{}",
                list[..last].join("、"),
                list[last]
            ));
            b.maybe(
                on("enumeration_mismatch"),
                "enumeration_mismatch",
                &stated_text,
            );
            b.push("有序推进。");
        }
    }
    let cover = rng.range(60, 98);
    let satisfied = rng.range(85, 99);
    b.push(
        [
            "全镇科普示范户覆盖率达到",
            "科普示范户占全镇农户总数的",
            "群众科普知识知晓率为",
        ][i % 3],
    );
    if on("percent_over_100") {
        b.mark(
            "percent_over_100",
            &format!("{}%", 105 + (i as i64 * 11) % 55),
            None,
        );
    } else {
        b.push(&format!("{cover}%"));
    }
    b.push(&format!("，群众满意度达{satisfied}%。"));
    // Drawn whether or not an error is planted, so clean and planted
    // texts stay the same elsewhere.
    let (contest_m, contest_d) = (rng.range(5, 9), rng.range(1, 28));
    if on("impossible_date") {
        let bad = [
            "2月30日".to_string(),
            "4月31日".to_string(),
            "3月32日".to_string(),
            "13月5日".to_string(),
            "二月三十日".to_string(),
        ];
        b.mark("impossible_date", &bad[i % bad.len()], None);
    } else {
        b.push(&format!("{contest_m}月{contest_d}日"));
    }
    b.push("，镇科协联合镇中心校举办青少年科技创新大赛。\n");
    let open_days = rng.range(4, 6);
    let open_hours = rng.range(6, 10);
    let bad_hours = 24 + rng.range(2, 8);
    b.push("　　镇科普服务站");
    if on("impossible_value") && i % 2 == 1 {
        b.mark(
            "impossible_value",
            &format!("每周开放{}天", 8 + i % 3),
            None,
        );
    } else {
        b.push(&format!("每周开放{open_days}天"));
    }
    b.push("，");
    if on("impossible_value") && i % 2 == 0 {
        b.mark(
            "impossible_value",
            &format!("每天开放{bad_hours}小时"),
            None,
        );
    } else {
        b.push(&format!("每天开放{open_hours}小时"));
    }
    b.push("，");
    let consult = if on("repeated_figure") {
        shared.consult[(i + 1) % n]
    } else {
        shared.consult[i]
    };
    b.push("全年共接待群众科技咨询");
    if on("repeated_figure") {
        b.mark(
            "repeated_figure",
            &format!("{consult}人次"),
            Some((i + 1) % n),
        );
    } else {
        b.push(&format!("{consult}人次"));
    }
    b.push("。\n");

    // (四) A paragraph of this document's own (or copied from another).
    b.push("（四）创新工作方法，服务乡村振兴\n");
    b.push("　　");
    if on("copied_paragraph") {
        let j = (i + 2) % n;
        b.mark("copied_paragraph", &shared.unique_para[j], Some(j));
    } else {
        b.push(&shared.unique_para[i]);
    }
    b.push("\n");
    let aspects = rng.sample(ASPECTS, 3);
    b.push("　　在工作中重点抓好三个方面：");
    for (k, a) in aspects.iter().enumerate() {
        let sep = if k == 2 { "。" } else { "；" };
        b.push(&format!(
            "{}是{a}{sep}",
            cn(k as i64 + 1).replace('两', "二")
        ));
    }
    b.push(&format!("镇科协制定了{year}-"));
    if on("degenerate_range") {
        // Replace the whole range so the span covers it.
        b.text.truncate(b.text.len() - format!("{year}-").len());
        let text = if i % 2 == 0 {
            format!("{year}-{year}年")
        } else {
            format!("{year}年至{year}年")
        };
        b.mark("degenerate_range", &text, None);
    } else {
        b.push(&format!("{}年", year + 2));
    }
    b.push("科普工作规划。\n");

    // Summary: the members restated.
    b.push("二、存在的问题\n");
    b.push("　　一是科普经费投入不足，二是基层科普人才缺乏，三是部分村级组织作用发挥不够充分。\n");
    b.push(&format!("三、{}年工作打算\n", year + 1));
    b.push(&format!(
        "　　{}年，镇科协将继续围绕中心、服务大局，重点做好科普宣传、技术培训和组织建设工作。截至年底，全镇共有会员",
        year + 1
    ));
    if on("inconsistent_figure") {
        b.mark(
            "inconsistent_figure",
            &format!("{}人", members + 15 + (i as i64 * 13) % 65),
            None,
        );
    } else {
        b.push(&format!("{members}人"));
    }
    b.push("，下一步将力争新发展会员五十人以上。\n");
    b.push(&format!("{town}科协\n"));
    b.push(&format!("{}年1月{}日\n", year + 1, rng.range(5, 20)));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_differs_from_clean_only_at_plants() {
        let c = generate(11, 12);
        for (i, d) in c.docs.iter().enumerate() {
            let mut text = d.planted.clone();
            let mut plants: Vec<&Plant> = c.plants.iter().filter(|p| p.doc == i).collect();
            plants.sort_by_key(|p| std::cmp::Reverse(p.start));
            for p in plants {
                text.replace_range(p.start..p.end, "#");
            }
            // Every line of the clean text that no plant touched is kept.
            let kept = d.clean.lines().filter(|l| text.contains(*l)).count();
            assert!(kept * 10 >= d.clean.lines().count() * 6, "doc {i}");
        }
    }

    #[test]
    fn deterministic_and_marks_cover_text() {
        let a = generate(7, 24);
        let b = generate(7, 24);
        assert_eq!(a.plants, b.plants);
        assert_eq!(a.docs[3].planted, b.docs[3].planted);
        for p in &a.plants {
            let t = &a.docs[p.doc].planted;
            assert!(t.get(p.start..p.end).is_some_and(|s| !s.is_empty()));
        }
        for r in PLANTED_RULES {
            assert!(a.plants.iter().filter(|p| p.rule == *r).count() >= 6, "{r}");
        }
    }
}
