//! The seeded random number generator.
//!
//! SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and its output for a seed never changes
//! between versions of a dependency, which is what a byte-identical trace needs. The world owns
//! one and splits a child generator per host, so adding a host does not shift the numbers
//! another host draws.

/// A deterministic 64-bit generator.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly drawn value in `lo..=hi` (`lo <= hi`).
    pub fn range_u16(&mut self, lo: u16, hi: u16) -> u16 {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        let span = u64::from(hi - lo) + 1;
        lo + (self.next_u64() % span) as u16
    }

    /// A child generator for a named purpose: the same parent seed and label always give the
    /// same child, whatever else has been drawn.
    pub fn split(seed: u64, label: &str) -> Rng {
        let mut h: u64 = 0xCBF2_9CE4_8422_2325; // FNV-1a over the label
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        let mut r = Rng::new(seed ^ h);
        r.next_u64();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_ranges_hold() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            let x = a.range_u16(10001, 10005);
            assert_eq!(x, b.range_u16(10001, 10005));
            assert!((10001..=10005).contains(&x));
        }
        assert_ne!(
            Rng::split(1, "client").next_u64(),
            Rng::split(1, "server").next_u64()
        );
        assert_eq!(
            Rng::split(1, "client").next_u64(),
            Rng::split(1, "client").next_u64()
        );
    }
}
