//! Routing: for every node, the link towards each host address, and a default link towards
//! the Internet (the routers). Built once, breadth-first, from the topology.
//!
//! A NAT hides its inside: addresses learnt from an inside link are not passed on to its
//! outside, so from the Internet a private address (10.0.0.5) has no route, as on the real
//! Internet; its public address is routed towards it instead. A packet to an address a node
//! has no route for takes the node's default link, and ends at the first router that has no
//! route either ("no route to 10.0.0.5").

use super::node::Node;
use crate::ids::{LinkId, NodeId};
use crate::middlebox::Routing;
use crate::trace::{LinkInfo, NodeInfo, NodeKind};
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

pub struct Routes {
    table: Vec<BTreeMap<Ipv4Addr, LinkId>>,
    default: Vec<Option<LinkId>>,
}

/// How a node passes routes on.
enum Pass {
    /// A host: routes stop at it.
    Host,
    Transparent,
    Nat(Vec<LinkId>),
}

struct Graph<'a> {
    links: &'a [LinkInfo],
    node_links: &'a [Vec<LinkId>],
    pass: Vec<Pass>,
}

impl Graph<'_> {
    /// Links to go on through from node `m`, reached over link `via`.
    fn onward(&self, m: NodeId, via: LinkId) -> Vec<LinkId> {
        let all = &self.node_links[m.index()];
        match &self.pass[m.index()] {
            Pass::Host => Vec::new(),
            Pass::Transparent => all.clone(),
            // From its inside, a NAT passes routes only to its other inside links.
            Pass::Nat(inside) if inside.contains(&via) => inside.clone(),
            Pass::Nat(_) => all.clone(),
        }
    }

    /// Breadth-first from `start` out through `first` links: each node reached learns the
    /// link back towards the start.
    fn flood(&self, start: NodeId, first: Vec<LinkId>, mut learn: impl FnMut(NodeId, LinkId)) {
        let mut seen = vec![false; self.node_links.len()];
        seen[start.index()] = true;
        let mut q: VecDeque<(NodeId, LinkId)> = first.into_iter().map(|l| (start, l)).collect();
        while let Some((n, l)) = q.pop_front() {
            let m = self.links[l.index()].other(n);
            if seen[m.index()] {
                continue;
            }
            seen[m.index()] = true;
            learn(m, l);
            for next in self.onward(m, l) {
                if next != l {
                    q.push_back((m, next));
                }
            }
        }
    }
}

impl Routes {
    pub fn compute(
        nodes: &[Node],
        infos: &[NodeInfo],
        links: &[LinkInfo],
        node_links: &[Vec<LinkId>],
    ) -> Routes {
        let pass: Vec<Pass> = nodes
            .iter()
            .map(|n| match n {
                Node::Host(..) => Pass::Host,
                Node::Middle(m) => match m.routing() {
                    Routing::Transparent => Pass::Transparent,
                    Routing::Nat { inside, .. } => Pass::Nat(inside),
                },
            })
            .collect();
        let g = Graph {
            links,
            node_links,
            pass,
        };
        let n = nodes.len();
        let mut table = vec![BTreeMap::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            let id = NodeId::new(i);
            let announce = match node {
                Node::Host(h, _) => Some((h.addr, node_links[i].clone())),
                Node::Middle(m) => match m.routing() {
                    Routing::Nat { inside, public } => Some((
                        public,
                        node_links[i]
                            .iter()
                            .copied()
                            .filter(|l| !inside.contains(l))
                            .collect(),
                    )),
                    Routing::Transparent => None,
                },
            };
            if let Some((addr, first)) = announce {
                // Hosts have one link and send everything on it: only middleboxes keep
                // tables (so N hosts cost N entries per middlebox, not N² in all).
                g.flood(id, first, |m, l| {
                    if !matches!(g.pass[m.index()], Pass::Host) {
                        table[m.index()].entry(addr).or_insert(l);
                    }
                });
            }
        }
        let mut default = vec![None; n];
        for (i, info) in infos.iter().enumerate() {
            if info.kind == NodeKind::Router {
                let id = NodeId::new(i);
                g.flood(id, node_links[i].clone(), |m, l| {
                    if default[m.index()].is_none() && infos[m.index()].kind != NodeKind::Router {
                        default[m.index()] = Some(l);
                    }
                });
            }
        }
        for (i, node) in nodes.iter().enumerate() {
            if matches!(node, Node::Host(..)) && default[i].is_none() {
                default[i] = node_links[i].first().copied();
            }
        }
        Routes { table, default }
    }

    /// The link node `n` sends a packet for `dst` on, if any.
    pub fn next(&self, n: NodeId, dst: Ipv4Addr) -> Option<LinkId> {
        self.table[n.index()]
            .get(&dst)
            .copied()
            .or(self.default[n.index()])
    }
}
