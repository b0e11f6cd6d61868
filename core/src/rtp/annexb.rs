//! Annex B byte streams (H.264 Annex B, H.265 Annex B): NAL units separated
//! by `00 00 01` start codes, optionally with extra leading zero bytes.

use std::ops::Range;

use super::PacketizeError;

/// Finds the NAL units of an Annex B access unit and appends their byte
/// ranges to `out` (which is cleared first).
///
/// Accepts 3- and 4-byte start codes (a 4-byte one is a 3-byte one after a
/// zero byte) and strips trailing zero bytes from each NAL unit: they are
/// `trailing_zero_8bits` of the byte stream, not part of the NAL unit, and a
/// NAL unit never ends in a zero byte (it ends in `rbsp_stop_one_bit` or
/// `cabac_zero_word`'s emulation-prevention `03`). Empty NAL units are
/// skipped. Bytes before the first start code must be zeros.
pub(crate) fn split_nal_units(
    data: &[u8],
    out: &mut Vec<Range<usize>>,
) -> Result<(), PacketizeError> {
    out.clear();
    let Some(first) = find_start_code(data, 0) else {
        return Err(PacketizeError::MissingStartCode);
    };
    if data[..first].iter().any(|&b| b != 0) {
        return Err(PacketizeError::MissingStartCode);
    }
    let mut start = first + 3;
    loop {
        let next = find_start_code(data, start);
        let mut end = next.unwrap_or(data.len());
        while end > start && data[end - 1] == 0 {
            end -= 1;
        }
        if end > start {
            out.push(start..end);
        }
        match next {
            Some(n) => start = n + 3,
            None => return Ok(()),
        }
    }
}

/// Returns the index of the first byte of the next `00 00 01` at or after
/// `from`.
///
/// Looks at every third byte where it can: if `data[i]` is greater than 1,
/// no start code can end at `i`, `i + 1` or `i + 2`, so the scan jumps ahead
/// by three. This is the classic trick (used by ffmpeg and x264) that makes
/// the scan of a slice's payload, where zero bytes are rare, cheap.
pub(crate) fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from.checked_add(2)?;
    while i < data.len() {
        match data[i] {
            0 => i += 1,
            1 if data[i - 1] == 0 && data[i - 2] == 0 => return Some(i - 2),
            _ => i += 3,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8]) -> Result<Vec<&[u8]>, PacketizeError> {
        let mut ranges = Vec::new();
        split_nal_units(data, &mut ranges)?;
        Ok(ranges.into_iter().map(|r| &data[r]).collect())
    }

    #[test]
    fn splits_three_and_four_byte_start_codes() {
        let data = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 5, 0, 0,
        ];
        assert_eq!(
            split(&data).unwrap(),
            vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 4, 5][..]]
        );
    }

    #[test]
    fn skips_empty_nal_units_and_leading_zeros() {
        let data = [0, 0, 0, 0, 0, 1, 0, 0, 1, 0x09, 0xf0, 0, 0, 1];
        assert_eq!(split(&data).unwrap(), vec![&[0x09, 0xf0][..]]);
        assert_eq!(split(&[0, 0, 1]).unwrap(), Vec::<&[u8]>::new());
    }

    #[test]
    fn rejects_missing_start_code() {
        assert_eq!(
            split(&[0x65, 1, 2, 3]),
            Err(PacketizeError::MissingStartCode)
        );
        assert_eq!(
            split(&[1, 0, 0, 1, 0x65]),
            Err(PacketizeError::MissingStartCode)
        );
        assert_eq!(split(&[0, 0]), Err(PacketizeError::MissingStartCode));
        assert_eq!(split(&[]), Err(PacketizeError::MissingStartCode));
    }

    #[test]
    fn finds_start_codes_at_every_alignment() {
        for pad in 0..6 {
            let mut data = vec![0x55; pad];
            data.extend_from_slice(&[0, 0, 1, 0x41]);
            assert_eq!(find_start_code(&data, 0), Some(pad), "pad {pad}");
        }
        assert_eq!(find_start_code(&[0, 1, 0, 1, 2, 0, 0], 0), None);
        assert_eq!(find_start_code(&[0, 0, 1], usize::MAX), None);
    }
}
