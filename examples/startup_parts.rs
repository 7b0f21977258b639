//! Time each part of `Pipeline::new` (start-up), one after the other and
//! then the whole (which builds some parts side by side).
//!
//! cargo run --release --example startup_parts

use std::time::Instant;

use zongjie::data::DataDir;
use zongjie::extract::{activity, count, date, entity};
use zongjie::pipeline::Pipeline;
use zongjie::segment::ChineseWordSegmenter;

fn main() {
    let data = DataDir::embedded_only();
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let _ = ChineseWordSegmenter::new(&data).expect("jieba");
    println!("jieba (dictionary + user words): {:.0} ms", ms(t));
    let t = Instant::now();
    let _ = entity::EntityExtractor::new(&data).expect("entity");
    println!("gazetteer + organizations: {:.0} ms", ms(t));
    let t = Instant::now();
    let _ = activity::ActivityExtractor::new(&data).expect("activity");
    println!("activity tables: {:.0} ms", ms(t));
    let t = Instant::now();
    let _ = count::CountExtractor::new(&data).expect("count");
    let _ = date::DateExtractor::new(&data).expect("date");
    println!("count + date tables: {:.0} ms", ms(t));
    let t = Instant::now();
    let _ = Pipeline::new(&data).expect("pipeline");
    println!("Pipeline::new: {:.0} ms", ms(t));
}
