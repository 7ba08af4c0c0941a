//! pcapng (the IETF draft "PCAP Next Generation Dump File Format"): sections, each with its
//! byte order; interfaces, each with its link type and time unit; packets in enhanced, simple
//! and obsolete packet blocks. Every length is checked against the block that holds it; a
//! block that does not fit, or a file that ends inside one, stops the reading there and what
//! came before is kept.

use super::read::{Got, Input, Link, MAX_BLOCK, PCAPNG_MAGIC, Sink};
use std::io::Read;

/// One interface: its link type, its time unit in nanoseconds, its snap length.
#[derive(Clone, Copy)]
struct Iface {
    link: Link,
    unit_ns: u128,
    snaplen: usize,
}

/// Numbers in a section's byte order.
#[derive(Clone, Copy)]
struct Order {
    le: bool,
}

impl Order {
    fn u16(self, b: &[u8], i: usize) -> Option<u16> {
        let x = [*b.get(i)?, *b.get(i + 1)?];
        Some(if self.le {
            u16::from_le_bytes(x)
        } else {
            u16::from_be_bytes(x)
        })
    }

    fn u32(self, b: &[u8], i: usize) -> Option<u32> {
        let x = [*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, *b.get(i + 3)?];
        Some(if self.le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        })
    }
}

/// Reads the blocks after the first block's type (already read: `PCAPNG_MAGIC`).
pub(super) fn read<R: Read>(input: &mut Input<R>, sink: &mut Sink) -> Result<(), String> {
    let mut order = Order { le: true };
    let mut ifaces: Vec<Iface> = Vec::new();
    let mut ty = PCAPNG_MAGIC;
    for block in 1u64.. {
        let mut len = [0u8; 4];
        if !matches!(input.fill(&mut len)?, Got::All) {
            sink.stop(format!("the file ends in the middle of block {block}'s header: what came before it is explained"));
            return Ok(());
        }
        if ty == PCAPNG_MAGIC {
            match section(input, len)? {
                Some(o) => {
                    order = o;
                    ifaces.clear();
                }
                None if block == 1 => {
                    return Err(
                        "not a readable pcapng file: its section header is damaged".to_owned()
                    );
                }
                None => {
                    sink.stop(format!("block {block} is a damaged section header: the file is not read from there on"));
                    return Ok(());
                }
            }
        } else if let Some(why) = other(input, sink, order, ty, len, &mut ifaces)? {
            sink.stop(format!(
                "{why} (block {block}): what came before it is explained"
            ));
            return Ok(());
        }
        match input.fill(&mut ty)? {
            Got::All => {}
            Got::Eof => return Ok(()),
            Got::Part(_) => {
                sink.stop(format!("the file ends in the middle of block {}'s header: what came before it is explained", block + 1));
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A section header block: its byte order (from its byte-order magic), or `None` when it is
/// damaged. The rest of the block is skipped.
fn section<R: Read>(input: &mut Input<R>, len: [u8; 4]) -> Result<Option<Order>, String> {
    let mut bom = [0u8; 4];
    if !matches!(input.fill(&mut bom)?, Got::All) {
        return Ok(None);
    }
    let order = match bom {
        [0x4d, 0x3c, 0x2b, 0x1a] => Order { le: true },
        [0x1a, 0x2b, 0x3c, 0x4d] => Order { le: false },
        _ => return Ok(None),
    };
    let total = order.u32(&len, 0).map_or(0, |n| n as usize);
    if total < 28 || total % 4 != 0 || total > MAX_BLOCK {
        return Ok(None);
    }
    let (_, got) = input.bytes(total - 12)?;
    Ok(matches!(got, Got::All).then_some(order))
}

/// Any other block, of type `ty` (in file order). `Some(why)` when it stops the reading.
fn other<R: Read>(
    input: &mut Input<R>,
    sink: &mut Sink,
    order: Order,
    ty: [u8; 4],
    len: [u8; 4],
    ifaces: &mut Vec<Iface>,
) -> Result<Option<String>, String> {
    let ty = order.u32(&ty, 0).unwrap_or(0);
    let total = order.u32(&len, 0).map_or(0, |n| n as usize);
    if total < 12 || total % 4 != 0 || total > MAX_BLOCK {
        return Ok(Some(format!(
            "a block says it is {total} bytes long, which no block is: the file is damaged from there on"
        )));
    }
    let (rest, got) = input.bytes(total - 8)?;
    if !matches!(got, Got::All) {
        return Ok(Some("the file ends in the middle of a block".to_owned()));
    }
    let body = &rest[..total - 12];
    match ty {
        1 => ifaces.push(interface(order, body)),
        6 => return Ok(packet(sink, order, body, ifaces, false)),
        2 => return Ok(packet(sink, order, body, ifaces, true)),
        3 => simple(sink, order, body, ifaces),
        _ => {}
    }
    Ok(None)
}

/// An interface description block: link type, snap length and `if_tsresol` (option 9).
fn interface(order: Order, body: &[u8]) -> Iface {
    let link = Link::of(u32::from(order.u16(body, 0).unwrap_or(0)));
    let snaplen = order.u32(body, 4).unwrap_or(0) as usize;
    let mut unit_ns = 1000;
    let mut at = 8;
    while let (Some(code), Some(olen)) = (order.u16(body, at), order.u16(body, at + 2)) {
        let olen = usize::from(olen);
        if code == 0 || at + 4 + olen > body.len() {
            break;
        }
        if code == 9 && olen >= 1 {
            unit_ns = ts_unit_ns(body[at + 4]);
        }
        at += 4 + olen.div_ceil(4) * 4;
    }
    Iface {
        link,
        unit_ns,
        snaplen,
    }
}

/// An enhanced (type 6) or obsolete (type 2) packet block: the interface (a u32; in the
/// obsolete block a u16 and a drop count), the timestamp, the captured length, the frame.
fn packet(
    sink: &mut Sink,
    order: Order,
    body: &[u8],
    ifaces: &[Iface],
    obsolete: bool,
) -> Option<String> {
    let n = sink.stats.frames + 1;
    let iface = if obsolete {
        order.u16(body, 0).map(u32::from)
    } else {
        order.u32(body, 0)
    };
    let (Some(iface), Some(hi), Some(lo), Some(cap)) = (
        iface,
        order.u32(body, 4),
        order.u32(body, 8),
        order.u32(body, 12),
    ) else {
        return Some(format!("frame {n}'s block is too short to be one"));
    };
    let cap = cap as usize;
    let Some(data) = body.get(20..20usize.saturating_add(cap)) else {
        return Some(format!(
            "frame {n} says it holds {cap} bytes, more than its block"
        ));
    };
    match ifaces.get(iface as usize) {
        Some(i) => {
            let t = ((u128::from(hi) << 32) | u128::from(lo)).saturating_mul(i.unit_ns);
            sink.emit(t, i.link, data);
        }
        None => {
            sink.stats.frames += 1;
            sink.stats.unknown_link += 1;
        }
    }
    None
}

/// A simple packet block: the original length, then the frame (as long as the block, the
/// original length and the first interface's snap length allow). It has no timestamp: it
/// counts as the first frame's.
fn simple(sink: &mut Sink, order: Order, body: &[u8], ifaces: &[Iface]) {
    let Some(i) = ifaces.first() else {
        sink.stats.frames += 1;
        sink.stats.unknown_link += 1;
        return;
    };
    let orig = order.u32(body, 0).map_or(0, |n| n as usize);
    let mut cap = orig.min(body.len().saturating_sub(4));
    if i.snaplen > 0 {
        cap = cap.min(i.snaplen);
    }
    sink.emit(0, i.link, &body[4..4 + cap]);
}

/// `if_tsresol`: a power of ten (high bit clear) or of two (high bit set) of a second, as
/// nanoseconds per unit (at least 1).
fn ts_unit_ns(r: u8) -> u128 {
    let exp = u32::from(r & 0x7f);
    if r & 0x80 == 0 {
        if exp >= 9 { 1 } else { 10u128.pow(9 - exp) }
    } else {
        (1_000_000_000u128 >> exp.min(127)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_time_units() {
        assert_eq!(ts_unit_ns(6), 1000);
        assert_eq!(ts_unit_ns(9), 1);
        assert_eq!(ts_unit_ns(3), 1_000_000);
        assert_eq!(ts_unit_ns(0x80 | 10), 976_562);
    }
}
