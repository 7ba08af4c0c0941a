//! The simulated network card: two queues of raw IPv4 packets. smoltcp reads from `rx` and
//! writes to `tx` during `poll`; the world moves packets between hosts and links. The card
//! hands smoltcp one received packet per `poll` (`rx_ready`), so the host sees the effect of
//! each packet before the next: a listener that took a SYN is replaced before the next SYN.

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct SimDevice {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
    /// One packet may be received in the current poll.
    pub rx_ready: bool,
}

impl Device for SimDevice {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        caps
    }

    fn receive(&mut self, _t: Instant) -> Option<(RxToken, TxToken<'_>)> {
        if !self.rx_ready {
            return None;
        }
        let buffer = self.rx.pop_front()?;
        self.rx_ready = false;
        Some((
            RxToken { buffer },
            TxToken {
                queue: &mut self.tx,
            },
        ))
    }

    fn transmit(&mut self, _t: Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            queue: &mut self.tx,
        })
    }
}

pub struct RxToken {
    buffer: Vec<u8>,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.buffer)
    }
}

pub struct TxToken<'a> {
    queue: &'a mut VecDeque<Vec<u8>>,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buffer = vec![0; len];
        let r = f(&mut buffer);
        self.queue.push_back(buffer);
        r
    }
}
