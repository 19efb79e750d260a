//! The format compiler and the line parser on arbitrary bytes: the first line is a format, the
//! rest are log lines. Neither may panic; a compiled format must also read what it renders.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stagelog_accesslog::{Format, Parser, Record};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let Some(format) = lines.next() else { return };
    let Ok(format) = Format::compile(format) else {
        return;
    };
    let parser = Parser::new(format.clone());
    let mut rec = Record::default();
    for line in lines {
        let _ = parser.parse(line.as_bytes(), &mut rec);
    }
    let _ = Format::from_json_line(&text);
    // Values without separators survive a round trip.
    let values: Vec<String> = (0..format.fields.len()).map(|i| format!("v{i}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let _ = parser.parse(format.render(&refs).as_bytes(), &mut rec);
});
