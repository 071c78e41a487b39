//! Confluent's wire format: magic byte `0`, the schema id as a 4-byte
//! big-endian integer, then the serialized body.

use super::RegistryError;

/// The first byte of every framed message.
pub const MAGIC_BYTE: u8 = 0;

/// Bytes before the body.
pub const HEADER_LEN: usize = 5;

/// `body` framed with schema `id`.
pub fn frame(id: i32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The schema id and the body of framed bytes.
pub fn unframe(bytes: &[u8]) -> Result<(i32, &[u8]), RegistryError> {
    if bytes.len() < HEADER_LEN {
        return Err(if bytes.first().is_some_and(|b| *b != MAGIC_BYTE) {
            RegistryError::UnknownMagicByte
        } else {
            RegistryError::TooShort(bytes.len())
        });
    }
    if bytes[0] != MAGIC_BYTE {
        return Err(RegistryError::UnknownMagicByte);
    }
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_framing_is_named() {
        let framed = frame(258, b"body");
        assert_eq!(framed, [0, 0, 0, 1, 2, b'b', b'o', b'd', b'y']);
        assert_eq!(unframe(&framed).unwrap(), (258, &b"body"[..]));
        assert_eq!(unframe(&frame(7, b"")).unwrap(), (7, &b""[..]));
        assert!(matches!(
            unframe(b"{\"a\":1}"),
            Err(RegistryError::UnknownMagicByte)
        ));
        assert_eq!(
            unframe(&[0, 0, 1]).unwrap_err().to_string(),
            "the data is 3 bytes long, too short for the Schema Registry framing (5 bytes: magic byte and schema id)"
        );
        assert_eq!(
            RegistryError::UnknownMagicByte.to_string(),
            "Unknown magic byte!"
        );
    }
}
