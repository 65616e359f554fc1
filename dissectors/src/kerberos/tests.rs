use super::fields::uint32;
use super::*;
use crate::error::Error;

#[test]
fn negative_uint32_is_the_upper_half() {
    // INTEGER -2 (MIT's encoding of the sequence number 0xFFFFFFFE) and 2^31 + 5.
    assert_eq!(uint32(&[0x02, 0x01, 0xfe]).ok(), Some(0xffff_fffe));
    assert_eq!(
        uint32(&[0x02, 0x05, 0x00, 0x80, 0, 0, 5]).ok(),
        Some(0x8000_0005)
    );
    assert!(uint32(&[0x02, 0x05, 0x01, 0, 0, 0, 0]).is_err());
    assert!(uint32(&[0x02, 0x05, 0xff, 0x7f, 0xff, 0xff, 0xff]).is_err());
}

#[test]
fn etype_info2_and_method_data() {
    // METHOD-DATA { PA-DATA { 19, ETYPE-INFO2 { {18, "EXAMPLE.COMuser", 00001000} } } }
    let entry: &[u8] = &[
        0x30, 0x22, 0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x11, 0x1b, 0x0f, b'E', b'X', b'A', b'M',
        b'P', b'L', b'E', b'.', b'C', b'O', b'M', b'u', b's', b'e', b'r', 0xa2, 0x08, 0x04, 0x06,
        0, 0, 0x10, 0, 0, 0,
    ];
    let mut info = vec![0x30, entry.len() as u8];
    info.extend_from_slice(entry);
    let mut pa = vec![
        0xa1,
        0x03,
        0x02,
        0x01,
        0x13,
        0xa2,
        info.len() as u8 + 2,
        0x04,
    ];
    pa.push(info.len() as u8);
    pa.extend_from_slice(&info);
    let mut md = vec![0x30, pa.len() as u8 + 2, 0x30, pa.len() as u8];
    md.extend_from_slice(&pa);
    let value = parse_method_data(&md)
        .unwrap()
        .find(PA_ETYPE_INFO2)
        .unwrap();
    let e: Vec<_> = parse_etype_info2(value).unwrap().collect();
    assert_eq!(
        e,
        [Ok(EtypeInfo2Entry {
            etype: 18,
            salt: Some(&b"EXAMPLE.COMuser"[..]),
            s2kparams: Some(&[0, 0, 0x10, 0, 0, 0][..]),
        })]
    );
}

#[test]
fn key_debug_is_redacted() {
    let k = EncryptionKey {
        keytype: 18,
        keyvalue: &[0xab; 32],
    };
    assert_eq!(
        format!("{k:?}"),
        "EncryptionKey(type 18, 32 bytes, <redacted>)"
    );
}

#[test]
fn duplicate_fields_and_bad_pvno_are_refused() {
    // AP-REP { SEQUENCE { [0] 5, [0] 5 } }
    let dup = [
        0x6f, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x05,
    ];
    assert_eq!(
        parse_ap_rep(&dup),
        Err(Error::Invalid("a field appears twice"))
    );
    let pvno4 = [0x6f, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x04];
    assert_eq!(parse_ap_rep(&pvno4), Err(Error::Invalid("pvno is not 5")));
}
