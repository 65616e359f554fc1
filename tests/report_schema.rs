#[test]
fn t() {
    let s = serde_json::json!({"type":"object"});
    assert!(
        jsonschema::validator_for(&s)
            .unwrap()
            .is_valid(&serde_json::json!({}))
    );
}
