//! Property tests: no input makes the parsers panic, and what `store` writes `load` reads back.

use connect_config_files::{connector_json, properties};
use proptest::prelude::*;

/// Text biased towards what the properties grammar cares about.
fn props_text() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("\\".to_owned()),
        Just("\\u".to_owned()),
        Just("\\uD83D".to_owned()),
        Just("\\uDE00".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("\r\n".to_owned()),
        Just("=".to_owned()),
        Just(":".to_owned()),
        Just("#".to_owned()),
        Just("!".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\x0c".to_owned()),
        "[a-z0-9]{0,3}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(atom, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn properties_never_panic(text in props_text()) {
        let _ = properties::load(&text);
    }

    #[test]
    fn properties_never_panic_on_any_string(text in any::<String>()) {
        let _ = properties::load(&text);
    }

    #[test]
    fn store_then_load_round_trips(
        entries in prop::collection::btree_map(any::<String>(), any::<String>(), 0..8)
    ) {
        let text = properties::store(entries.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let back = properties::load(&text).unwrap();
        prop_assert_eq!(back, entries);
    }

    #[test]
    fn connector_json_never_panics(text in any::<String>()) {
        let _ = connector_json::load(&text);
    }

    #[test]
    fn connector_json_never_panics_on_jsonish_text(
        parts in prop::collection::vec(
            prop_oneof![
                Just("{".to_owned()), Just("}".to_owned()), Just("[".to_owned()),
                Just("]".to_owned()), Just(",".to_owned()), Just(":".to_owned()),
                Just("\"name\"".to_owned()), Just("\"config\"".to_owned()),
                Just("null".to_owned()), Just("1e999".to_owned()), Just("-0".to_owned()),
                Just("\u{feff}".to_owned()), Just("\"\\ud800\"".to_owned()),
                "\"[a-z]{0,3}\"", "[0-9]{1,3}",
            ],
            0..40,
        )
    ) {
        let _ = connector_json::load(&parts.concat());
    }

    #[test]
    fn connector_json_reads_any_flat_map(
        config in prop::collection::btree_map("[^\u{feff}]*", any::<String>(), 0..8),
        name in any::<String>(),
    ) {
        let text = serde_json::json!({"name": name, "config": config}).to_string();
        let f = connector_json::load(&text).unwrap();
        prop_assert_eq!(f.name, Some(name));
        prop_assert_eq!(f.config, config);
    }
}
