//! CRC-32 as zip uses it (IEEE 802.3, reflected polynomial 0xEDB88320). Weights files are tens
//! of megabytes and every byte is summed when writing and again when reading, so: on x86-64
//! processors with carry-less multiplication (PCLMULQDQ, nearly all since 2010), 64 bytes at a
//! time by folding (Intel's "Fast CRC Computation Using PCLMULQDQ Instruction"); elsewhere, and
//! for short data and tails, slicing-by-16 tables (16 bytes a step).

const POLY: u32 = 0xEDB8_8320;

const TABLES: [[u32; 256]; 16] = build_tables();

const fn build_tables() -> [[u32; 256]; 16] {
    let mut t = [[0u32; 256]; 16];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { POLY ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    // t[k][i]: the CRC of byte i followed by k zero bytes.
    let mut k = 1;
    while k < 16 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// A running CRC-32, for data that comes in pieces.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(!0)
    }
}

impl Crc32 {
    pub fn update(&mut self, data: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        if data.len() >= 128 && clmul::available() {
            // SAFETY: the processor has the instructions (checked just above).
            let (state, rest) = unsafe { clmul::fold(self.0, data) };
            self.0 = state;
            self.tables(rest);
            return;
        }
        self.tables(data);
    }

    fn tables(&mut self, data: &[u8]) {
        let t = &TABLES;
        let mut crc = self.0;
        let mut blocks = data.chunks_exact(16);
        for b in &mut blocks {
            let lo = crc ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            crc = t[15][(lo & 0xFF) as usize]
                ^ t[14][((lo >> 8) & 0xFF) as usize]
                ^ t[13][((lo >> 16) & 0xFF) as usize]
                ^ t[12][(lo >> 24) as usize]
                ^ t[11][b[4] as usize]
                ^ t[10][b[5] as usize]
                ^ t[9][b[6] as usize]
                ^ t[8][b[7] as usize]
                ^ t[7][b[8] as usize]
                ^ t[6][b[9] as usize]
                ^ t[5][b[10] as usize]
                ^ t[4][b[11] as usize]
                ^ t[3][b[12] as usize]
                ^ t[2][b[13] as usize]
                ^ t[1][b[14] as usize]
                ^ t[0][b[15] as usize];
        }
        for &byte in blocks.remainder() {
            crc = t[0][((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    pub fn value(&self) -> u32 {
        !self.0
    }
}

#[cfg(target_arch = "x86_64")]
mod clmul {
    use std::arch::x86_64::*;

    // x^(4*128+32) mod P, x^(4*128-32) mod P (folding by 64 bytes); the same for 16 bytes; x^64
    // mod P; P itself and floor(x^64 / P), for the final Barrett reduction (bit-reflected).
    const K1: i64 = 0x1_5444_2bd4;
    const K2: i64 = 0x1_c6e4_1596;
    const K3: i64 = 0x1_7519_97d0;
    const K4: i64 = 0x0_ccaa_009e;
    const K5: i64 = 0x1_63cd_6124;
    const P_X: i64 = 0x1_DB71_0641;
    const U_PRIME: i64 = 0x1_F701_1641;

    pub fn available() -> bool {
        is_x86_feature_detected!("pclmulqdq") && is_x86_feature_detected!("sse4.1")
    }

    /// Folds the whole 16-byte blocks of `data` (at least 128 bytes) into the running state
    /// `state`; returns the new state and the bytes left (fewer than 16).
    #[target_feature(enable = "pclmulqdq", enable = "sse2", enable = "sse4.1")]
    pub unsafe fn fold(state: u32, mut data: &[u8]) -> (u32, &[u8]) {
        unsafe fn next(data: &mut &[u8]) -> __m128i {
            let r = _mm_loadu_si128(data.as_ptr() as *const __m128i);
            *data = &data[16..];
            r
        }
        unsafe fn reduce(a: __m128i, b: __m128i, keys: __m128i) -> __m128i {
            let t1 = _mm_clmulepi64_si128(a, keys, 0x00);
            let t2 = _mm_clmulepi64_si128(a, keys, 0x11);
            _mm_xor_si128(_mm_xor_si128(b, t1), t2)
        }
        debug_assert!(data.len() >= 128);
        let k1k2 = _mm_set_epi64x(K2, K1);
        let mut x3 = next(&mut data);
        let mut x2 = next(&mut data);
        let mut x1 = next(&mut data);
        let mut x0 = next(&mut data);
        x3 = _mm_xor_si128(x3, _mm_cvtsi32_si128(state as i32));
        while data.len() >= 64 {
            x3 = reduce(x3, next(&mut data), k1k2);
            x2 = reduce(x2, next(&mut data), k1k2);
            x1 = reduce(x1, next(&mut data), k1k2);
            x0 = reduce(x0, next(&mut data), k1k2);
        }
        let k3k4 = _mm_set_epi64x(K4, K3);
        let mut x = reduce(x3, x2, k3k4);
        x = reduce(x, x1, k3k4);
        x = reduce(x, x0, k3k4);
        while data.len() >= 16 {
            x = reduce(x, next(&mut data), k3k4);
        }
        // 128 bits to 64, then Barrett's reduction to 32.
        let low32 = _mm_set_epi32(0, 0, 0, !0);
        let x = _mm_xor_si128(_mm_clmulepi64_si128(x, k3k4, 0x10), _mm_srli_si128(x, 8));
        let x = _mm_xor_si128(
            _mm_clmulepi64_si128(_mm_and_si128(x, low32), _mm_set_epi64x(0, K5), 0x00),
            _mm_srli_si128(x, 4),
        );
        let pu = _mm_set_epi64x(U_PRIME, P_X);
        let t1 = _mm_clmulepi64_si128(_mm_and_si128(x, low32), pu, 0x10);
        let t2 = _mm_clmulepi64_si128(_mm_and_si128(t1, low32), pu, 0x00);
        (_mm_extract_epi32(_mm_xor_si128(x, t2), 1) as u32, data)
    }
}

/// The CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc32::default();
    c.update(data);
    c.value()
}

#[cfg(test)]
mod tests {
    use super::{crc32, Crc32};

    /// The textbook definition, a bit at a time.
    fn bitwise(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { super::POLY ^ (crc >> 1) } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
        // metadata.json of the reference archive seq_mlp_compiled.keras.
        let meta = br#"{"keras_version": "3.15.1", "date_saved": "2026-11-28@21:51:34"}"#;
        assert_eq!(crc32(meta), 0xBBA5_93D6);
    }

    #[test]
    fn fast_paths_equal_the_bitwise_definition_at_every_length_and_split() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in (0..300).chain([511, 512, 513, 999, 1000]) {
            assert_eq!(crc32(&data[..len]), bitwise(&data[..len]), "length {len}");
        }
        for split in [0, 1, 7, 15, 16, 17, 127, 128, 129, 500, 871, 1000] {
            let mut c = Crc32::default();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.value(), bitwise(&data), "split at {split}");
        }
    }
}
