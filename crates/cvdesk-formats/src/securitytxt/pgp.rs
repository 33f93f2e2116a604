//! The shape of the signature block of an OpenPGP cleartext-signed file: ASCII armor
//! (RFC 4880 §6), its checksum and the framing of the signature packets inside. Whether
//! the signature is genuine is checked elsewhere, with the key; this only catches a
//! block that no OpenPGP implementation could read.

use super::finding::Finding;

/// RFC 4880 §6.3: armored lines hold at most 76 characters.
const MAX_ARMOR_LINE: usize = 76;
const SIGNATURE_PACKET_TAG: u8 = 2;

/// Checks the lines between `BEGIN PGP SIGNATURE` (on line `begin`) and `END PGP SIGNATURE`.
pub(crate) fn check_signature_block(begin: usize, lines: &[(usize, String)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut rest = lines;
    while let Some(((_, line), tail)) = rest.split_first() {
        if !is_armor_header(line) {
            break;
        }
        rest = tail;
    }
    match rest.split_first() {
        Some(((_, line), tail)) if line.is_empty() => rest = tail,
        _ => findings.push(
            Finding::warning(
                "pgp_armor",
                "an empty line should separate the signature's armor headers from its data",
            )
            .at(begin),
        ),
    }

    let (data_lines, checksum) = match rest.split_last() {
        Some(((line_no, line), data)) if line.starts_with('=') => (data, Some((*line_no, line))),
        _ => (rest, None),
    };
    let mut radix64 = String::new();
    for (line_no, line) in data_lines {
        if line.is_empty() || line.len() > MAX_ARMOR_LINE || !is_radix64(line) {
            findings.push(
                Finding::error(
                    "pgp_data_error",
                    "this line of the signature block is not radix-64 (base64) data",
                )
                .at(*line_no),
            );
            return findings;
        }
        radix64.push_str(line);
    }
    let Some(data) = decode_base64(&radix64) else {
        findings.push(
            Finding::error(
                "pgp_data_error",
                "the signature block's data is not valid radix-64 (base64)",
            )
            .at(begin),
        );
        return findings;
    };

    match checksum {
        None => findings.push(
            Finding::warning(
                "pgp_checksum",
                "the signature block has no armor checksum line ('=XXXX'); older OpenPGP tools expect one",
            )
            .at(begin),
        ),
        Some((line_no, line)) => {
            let expected = decode_base64(&line[1..]).filter(|bytes| bytes.len() == 3);
            let actual = crc24(&data).to_be_bytes();
            if expected.as_deref() != Some(&actual[1..]) {
                findings.push(
                    Finding::error(
                        "pgp_checksum",
                        "the armor checksum does not match the signature data: the block is damaged",
                    )
                    .at(line_no),
                );
            }
        }
    }

    if let Err(problem) = check_packets(&data) {
        findings.push(Finding::error("pgp_signature_error", problem).at(begin));
    }
    findings
}

/// `Key: value` with an alphanumeric key, as armor headers are written (e.g. `Version: …`).
fn is_armor_header(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(key, value)| {
        !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric()) && !value.is_empty()
    })
}

fn is_radix64(line: &str) -> bool {
    let body = line.trim_end_matches('=');
    line.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        match byte {
            b'A'..=b'Z' => Some(u32::from(byte - b'A')),
            b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let groups = text.as_bytes().chunks_exact(4);
    if !groups.remainder().is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks: Vec<&[u8]> = groups.collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let padding = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        // Padding may only close the last group, and at most two characters of it.
        if padding > 2 || (padding > 0 && index + 1 != chunks.len()) {
            return None;
        }
        let mut group = 0u32;
        for &byte in &chunk[..4 - padding] {
            group = (group << 6) | value(byte)?;
        }
        group <<= 6 * padding as u32;
        let bytes = group.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    Some(out)
}

/// RFC 4880 §6.1.
fn crc24(data: &[u8]) -> u32 {
    const INIT: u32 = 0x00B7_04CE;
    const POLY: u32 = 0x0186_4CFB;
    let mut crc = INIT;
    for &byte in data {
        crc ^= u32::from(byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= POLY;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// Walks the packets (RFC 4880 §4.2): there must be at least one, and each must be a
/// well-framed signature packet.
fn check_packets(mut data: &[u8]) -> Result<(), &'static str> {
    if data.is_empty() {
        return Err("the signature block holds no signature");
    }
    while !data.is_empty() {
        let (tag, body, rest) = split_packet(data)?;
        if tag != SIGNATURE_PACKET_TAG {
            return Err("the signature block holds something other than signature packets");
        }
        check_signature_packet(body)?;
        data = rest;
    }
    Ok(())
}

const TRUNCATED: &str = "the signature packet is truncated or malformed";

fn split_packet(data: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let (&first, rest) = data.split_first().ok_or(TRUNCATED)?;
    if first & 0x80 == 0 {
        return Err("the signature block does not start with an OpenPGP packet");
    }
    let (tag, length, rest) = if first & 0x40 != 0 {
        let (length, rest) = new_format_length(rest)?;
        (first & 0x3F, length, rest)
    } else {
        let tag = (first >> 2) & 0x0F;
        match first & 0x03 {
            0 => {
                let (length, rest) = take(rest, 1)?;
                (tag, usize::from(length[0]), rest)
            }
            1 => {
                let (length, rest) = take(rest, 2)?;
                (
                    tag,
                    usize::from(u16::from_be_bytes([length[0], length[1]])),
                    rest,
                )
            }
            2 => {
                let (length, rest) = take(rest, 4)?;
                (tag, be_u32(length)?, rest)
            }
            _ => (tag, rest.len(), rest),
        }
    };
    let (body, rest) = take(rest, length)?;
    Ok((tag, body, rest))
}

fn new_format_length(data: &[u8]) -> Result<(usize, &[u8]), &'static str> {
    let (&first, rest) = data.split_first().ok_or(TRUNCATED)?;
    match first {
        0..=191 => Ok((usize::from(first), rest)),
        192..=223 => {
            let (&second, rest) = rest.split_first().ok_or(TRUNCATED)?;
            Ok((
                (usize::from(first - 192) << 8) + usize::from(second) + 192,
                rest,
            ))
        }
        255 => {
            let (length, rest) = take(rest, 4)?;
            Ok((be_u32(length)?, rest))
        }
        // Partial body lengths are not allowed for signature packets.
        _ => Err(TRUNCATED),
    }
}

/// The fixed parts of a version 3, 4, 5 or 6 signature packet (RFC 4880 §5.2, RFC 9580
/// §5.2.3), leaving the algorithm-specific signature values unread.
fn check_signature_packet(body: &[u8]) -> Result<(), &'static str> {
    let (&version, rest) = body.split_first().ok_or(TRUNCATED)?;
    let signature = match version {
        3 => {
            let (fixed, rest) = take(rest, 18)?;
            if fixed[0] != 5 {
                return Err(TRUNCATED);
            }
            rest
        }
        4 | 5 => {
            let (_, rest) = take(rest, 3)?;
            let rest = skip_counted(rest, 2)?;
            let rest = skip_counted(rest, 2)?;
            take(rest, 2)?.1
        }
        6 => {
            let (_, rest) = take(rest, 3)?;
            let rest = skip_counted(rest, 4)?;
            let rest = skip_counted(rest, 4)?;
            let (_, rest) = take(rest, 2)?;
            skip_counted(rest, 1)?
        }
        _ => return Err("the signature packet has an unknown version"),
    };
    if signature.is_empty() {
        return Err(TRUNCATED);
    }
    Ok(())
}

/// Skips a block preceded by its big-endian length of `width` bytes.
fn skip_counted(data: &[u8], width: usize) -> Result<&[u8], &'static str> {
    let (length, rest) = take(data, width)?;
    let length = length
        .iter()
        .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
    Ok(take(rest, length)?.1)
}

fn take(data: &[u8], count: usize) -> Result<(&[u8], &[u8]), &'static str> {
    if data.len() < count {
        Err(TRUNCATED)
    } else {
        Ok(data.split_at(count))
    }
}

fn be_u32(bytes: &[u8]) -> Result<usize, &'static str> {
    let array: [u8; 4] = bytes.try_into().map_err(|_| TRUNCATED)?;
    usize::try_from(u32::from_be_bytes(array)).map_err(|_| TRUNCATED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVsbA=="), Some(b"hell".to_vec()));
        assert_eq!(decode_base64(""), Some(Vec::new()));
        assert_eq!(decode_base64("aGV"), None);
        assert_eq!(decode_base64("a==="), None);
        assert_eq!(decode_base64("aG=sbG8="), None);
    }

    #[test]
    fn computes_the_rfc4880_checksum() {
        // Checksum of an empty input is the initial value.
        assert_eq!(crc24(b""), 0x00B7_04CE);
        assert_ne!(crc24(b"a"), crc24(b"b"));
    }

    #[test]
    fn frames_signature_packets() {
        // A minimal v4 signature packet in new format: tag 2, length 11.
        let packet = [0xC2, 11, 4, 0x01, 1, 8, 0, 0, 0, 0, 0xAB, 0xCD, 0x00];
        assert_eq!(check_packets(&packet), Ok(()));
        assert!(check_packets(&packet[..8]).is_err());
        assert!(check_packets(&[]).is_err());
        // A literal-data packet (tag 11) is not a signature.
        assert!(check_packets(&[0xCB, 1, 0]).is_err());
    }
}
