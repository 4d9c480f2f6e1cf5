//! The limit on JSON nesting: serde_json's own by default, lower when configured, with
//! brackets inside strings not counted.

use crate::decoder::{DecoderConfig, MAX_JSON_DEPTH};
use crate::parser::{decode, ParseError};

/// `["x", [[...]]]` with `levels` arrays in all, the event's own included.
fn nested_event(levels: usize) -> String {
    let inner = levels - 1;
    format!(r#"2["x",{}{}]"#, "[".repeat(inner), "]".repeat(inner))
}

#[test]
fn json_depth_is_bounded_by_default_at_serde_json_s_limit() {
    let config = DecoderConfig::default();
    assert!(decode(&nested_event(MAX_JSON_DEPTH), &config).is_ok());
    let deep = decode(&nested_event(MAX_JSON_DEPTH + 1), &config);
    assert!(matches!(
        deep,
        Err(ParseError::TooDeep {
            max: MAX_JSON_DEPTH
        })
    ));
    // A limit past serde_json's own is not kept: serde_json still stops there.
    let lax = DecoderConfig {
        max_json_depth: 10_000,
        ..DecoderConfig::default()
    };
    let deep = decode(&nested_event(MAX_JSON_DEPTH + 1), &lax);
    assert!(matches!(
        deep,
        Err(ParseError::TooDeep {
            max: MAX_JSON_DEPTH
        })
    ));
}

#[test]
fn json_depth_limit_is_configurable_and_ignores_brackets_in_strings() {
    let config = DecoderConfig {
        max_json_depth: 3,
        ..DecoderConfig::default()
    };
    assert!(decode(&nested_event(3), &config).is_ok());
    assert!(matches!(
        decode(&nested_event(4), &config),
        Err(ParseError::TooDeep { max: 3 })
    ));
    let objects = r#"2["x",{"a":{"b":{}}}]"#;
    assert!(matches!(
        decode(objects, &config),
        Err(ParseError::TooDeep { max: 3 })
    ));
    let quoted = r#"2["x","[[[[\"{{{{",{"k\\":"]]]]"}]"#;
    assert!(decode(quoted, &config).is_ok(), "{quoted}");
    let binary = r#"51-["x",{"_placeholder":true,"num":0}]"#;
    assert!(decode(binary, &config).is_ok());
}
