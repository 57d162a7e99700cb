use super::*;

const HEADER: &str = "customer_ref,email,date_of_birth,first_name,last_name,wise_user_id,wise_profile_id,refresh_token";

fn all(input: &[u8], chunk: usize) -> Result<Vec<Record>, BadHeader> {
    let mut records = Records::default();
    let mut out = Vec::new();
    for part in input.chunks(chunk) {
        out.extend(records.push(part)?);
    }
    out.extend(records.finish()?);
    Ok(out)
}

#[test]
fn json_lines_in_any_chunking_give_the_same_records_and_line_numbers() {
    let input = b"{\"a\":\"1\"}\n\n{\"a\":\"2\"}\r\nnot json\n[1]\n{\"a\":\"3\"}";
    let whole = all(input, input.len()).unwrap();
    for chunk in [1, 2, 3, 7] {
        assert_eq!(
            format!("{:?}", all(input, chunk).unwrap()),
            format!("{whole:?}")
        );
    }
    let lines: Vec<u64> = whole.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, [1, 3, 4, 5, 6]);
    assert_eq!(whole[1].1.as_ref().unwrap()["a"], "2");
    assert!(whole[2].1.as_ref().unwrap_err().contains("not JSON"));
    assert!(
        whole[3]
            .1
            .as_ref()
            .unwrap_err()
            .contains("not a JSON object")
    );
}

#[test]
fn csv_reads_quotes_and_empty_cells_against_its_header() {
    let input = format!(
        "\u{feff}{HEADER},language\nc-1,ada@example.com,1990-04-17,\"Ada, Countess\",\"Love\"\"lace\",7,10,rt,\nc-2,x\nc-3,\"open\n"
    );
    let records = all(input.as_bytes(), 5).unwrap();
    assert_eq!(records.len(), 3);
    let (line, first) = &records[0];
    let first = first.as_ref().unwrap();
    assert_eq!(*line, 2);
    assert_eq!(first["first_name"], "Ada, Countess");
    assert_eq!(first["last_name"], "Love\"lace");
    assert!(!first.contains_key("language"), "an empty cell is absent");
    assert!(records[1].1.as_ref().unwrap_err().contains("2 fields"));
    assert!(records[2].1.as_ref().unwrap_err().contains("not closed"));
}

#[test]
fn a_wrong_header_stops_the_import_before_any_row() {
    let unknown = all(format!("{HEADER},colour\n").as_bytes(), 64).unwrap_err();
    assert!(unknown.0.contains("\"colour\""));
    let missing = all(b"customer_ref,email\n", 64).unwrap_err();
    assert!(missing.0.contains("date_of_birth") && missing.0.contains("refresh_token"));
    let twice = all(format!("{HEADER},email\n").as_bytes(), 64).unwrap_err();
    assert!(twice.0.contains("twice"));
}

#[test]
fn an_overlong_line_is_refused_without_being_held() {
    let mut input = vec![b'{'; MAX_LINE + 10];
    input.extend_from_slice(b"\n{\"a\":\"ok\"}\n");
    let mut records = Records::default();
    let mut out = Vec::new();
    for part in input.chunks(4096) {
        out.extend(records.push(part).unwrap());
        assert!(records.pending.len() <= MAX_LINE);
    }
    assert_eq!(out.len(), 2);
    assert!(out[0].1.as_ref().unwrap_err().contains("longer than"));
    assert_eq!(out[1].0, 2);
}
