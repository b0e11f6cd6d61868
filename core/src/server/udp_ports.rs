//! Server-side UDP port allocation.
//!
//! As the manual says, each RTSP session over UDP gets a block of 8
//! consecutive ports from `udp_base_port`: video RTP/RTCP, audio RTP/RTCP,
//! metadata RTP/RTCP and audio back-channel RTP/RTCP. Blocks are reused after
//! the session ends; a block whose ports the host refused to bind is retired.
//! Servers that share one `udp_base_port` (the shards of the thread-per-core
//! runtime) each take every `count`-th block ([`PortShare`]), so they never
//! ask for the same port and a lightly used server keeps to the lowest ports.

use std::collections::BTreeSet;

use crate::id_map::IdMap;

use super::PortShare;

/// Ports per session block.
pub(crate) const PORTS_PER_BLOCK: u16 = 8;

/// Which pair within a block a track uses. Pairs 2 and 3 of each block
/// are kept for the metadata stream and the audio back channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortSlot {
    Video = 0,
    Audio = 1,
}

#[derive(Debug)]
pub(crate) struct UdpPorts {
    base: u16,
    blocks: u16,
    free: BTreeSet<u16>,
    /// Block index -> owning session key.
    owner: IdMap<u16, u64>,
}

impl UdpPorts {
    /// The blocks of `share` among the first `max_blocks` blocks from `base`.
    pub(crate) fn new(base: u16, max_blocks: u16, share: PortShare) -> UdpPorts {
        let room = (u32::from(u16::MAX) + 1 - u32::from(base)) / u32::from(PORTS_PER_BLOCK);
        let blocks = u16::try_from(room).unwrap_or(u16::MAX).min(max_blocks);
        let count = share.count.max(1);
        let index = share.index % count;
        UdpPorts {
            base,
            blocks,
            free: (0..blocks).filter(|b| b % count == index).collect(),
            owner: IdMap::default(),
        }
    }

    /// Takes the lowest free block for `session`.
    pub(crate) fn allocate(&mut self, session: u64) -> Option<u16> {
        let block = self.free.pop_first()?;
        self.owner.insert(block, session);
        Some(block)
    }

    /// Hands an allocated block to another session.
    pub(crate) fn set_owner(&mut self, block: u16, session: u64) {
        if let Some(owner) = self.owner.get_mut(&block) {
            *owner = session;
        }
    }

    /// Returns a block to the pool.
    pub(crate) fn release(&mut self, block: u16) {
        if self.owner.remove(&block).is_some() && block < self.blocks {
            self.free.insert(block);
        }
    }

    /// Removes a block from use for good (its ports are taken on this host).
    pub(crate) fn retire(&mut self, block: u16) {
        self.owner.remove(&block);
        self.free.remove(&block);
    }

    /// The first port of `block`.
    pub(crate) fn base_port(&self, block: u16) -> u16 {
        self.base + block * PORTS_PER_BLOCK
    }

    /// The RTP port of `slot` in `block` (RTCP is the next port).
    pub(crate) fn rtp_port(&self, block: u16, slot: PortSlot) -> u16 {
        self.base + block * PORTS_PER_BLOCK + 2 * slot as u16
    }

    /// Which session owns the block containing `port`, and the port's slot.
    pub(crate) fn lookup(&self, port: u16) -> Option<(u64, u16)> {
        let offset = port.checked_sub(self.base)?;
        let block = offset / PORTS_PER_BLOCK;
        self.owner.get(&block).map(|s| (*s, block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_eight_reused_and_retired() {
        let mut p = UdpPorts::new(22000, 3, PortShare::WHOLE);
        let a = p.allocate(1).unwrap();
        let b = p.allocate(2).unwrap();
        assert_eq!(p.rtp_port(a, PortSlot::Video), 22000);
        assert_eq!(p.rtp_port(a, PortSlot::Audio), 22002);
        assert_eq!(p.rtp_port(b, PortSlot::Audio), 22010);
        assert_eq!(p.lookup(22011), Some((2, b)));
        p.release(a);
        assert_eq!(p.allocate(3), Some(a));
        p.retire(a);
        assert_eq!(p.allocate(4), Some(2));
        assert_eq!(p.allocate(5), None);
        assert_eq!(p.lookup(22001), None);
        // A base near the top of the port space never overflows.
        let mut top = UdpPorts::new(65530, 100, PortShare::WHOLE);
        assert_eq!(top.allocate(1), None);
    }

    #[test]
    fn shares_interleave_without_overlap() {
        let mut shards: Vec<UdpPorts> = (0..3)
            .map(|index| UdpPorts::new(22000, 10, PortShare { index, count: 3 }))
            .collect();
        let mut ports = Vec::new();
        for (i, shard) in shards.iter_mut().enumerate() {
            while let Some(block) = shard.allocate(i as u64) {
                let base = shard.base_port(block);
                assert_eq!(shard.lookup(base + 7), Some((i as u64, block)));
                ports.push(base);
            }
        }
        ports.sort_unstable();
        // Together the shards use exactly the blocks one server would.
        let whole: Vec<u16> = (0..10).map(|b| 22000 + 8 * b).collect();
        assert_eq!(ports, whole);
        // Each shard starts at its own lowest block.
        let mut second = UdpPorts::new(22000, 10, PortShare { index: 1, count: 3 });
        assert_eq!(second.allocate(9).map(|b| second.base_port(b)), Some(22008));
    }
}
