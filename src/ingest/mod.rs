pub mod docx;
pub mod sniff;
