//! Where each node of the topology goes: a graph laid out in columns from the clients (left)
//! to the servers (right), by the number of links to the nearest server, and within a column
//! in the order of their neighbours on the left (fewer crossings). The classic chain comes out
//! as one row; a LAN of clients behind a NAT as a column of clients. Unit coordinates (0 to
//! 1); the topology view and the ladder scale them. No egui.

use crate::ids::NodeId;
use crate::trace::{NodeKind, Trace};
use std::collections::VecDeque;

/// Positions in unit coordinates, and the column-major order (the ladder's columns).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub pos: Vec<(f32, f32)>,
    pub columns: usize,
    /// The most nodes in one column.
    pub rows: usize,
    pub order: Vec<NodeId>,
}

/// Links from each node to the nearest server (servers 0); unreachable nodes get the most.
fn distance_to_servers(trace: &Trace) -> Vec<usize> {
    let n = trace.nodes.len();
    let mut dist = vec![usize::MAX; n];
    let mut q = VecDeque::new();
    for (i, node) in trace.nodes.iter().enumerate() {
        if node.kind == NodeKind::Server {
            dist[i] = 0;
            q.push_back(i);
        }
    }
    let mut neigh: Vec<Vec<usize>> = vec![Vec::new(); n];
    for l in &trace.links {
        neigh[l.a.index()].push(l.b.index());
        neigh[l.b.index()].push(l.a.index());
    }
    while let Some(x) = q.pop_front() {
        for &y in &neigh[x] {
            if dist[y] == usize::MAX {
                dist[y] = dist[x] + 1;
                q.push_back(y);
            }
        }
    }
    let max = dist
        .iter()
        .copied()
        .filter(|d| *d != usize::MAX)
        .max()
        .unwrap_or(0);
    dist.iter()
        .map(|d| if *d == usize::MAX { max + 1 } else { *d })
        .collect()
}

pub fn layout(trace: &Trace) -> Layout {
    let n = trace.nodes.len();
    if n == 0 {
        return Layout::default();
    }
    let dist = distance_to_servers(trace);
    let max = dist.iter().copied().max().unwrap_or(0);
    let columns = max + 1;
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (i, d) in dist.iter().enumerate() {
        cols[max - d].push(i);
    }
    let mut neigh: Vec<Vec<usize>> = vec![Vec::new(); n];
    for l in &trace.links {
        neigh[l.a.index()].push(l.b.index());
        neigh[l.b.index()].push(l.a.index());
    }
    // Order each column by the mean row of its neighbours in the column to its left.
    let mut row_of = vec![0.0f32; n];
    for c in 0..columns {
        if c > 0 {
            let key = |i: usize| {
                let left: Vec<f32> = neigh[i]
                    .iter()
                    .filter(|j| cols[c - 1].contains(j))
                    .map(|j| row_of[*j])
                    .collect();
                if left.is_empty() {
                    f32::MAX
                } else {
                    left.iter().sum::<f32>() / left.len() as f32
                }
            };
            let mut keyed: Vec<(f32, usize)> = cols[c].iter().map(|&i| (key(i), i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            cols[c] = keyed.into_iter().map(|(_, i)| i).collect();
        }
        let k = cols[c].len() as f32;
        for (r, &i) in cols[c].iter().enumerate() {
            row_of[i] = (r as f32 + 0.5) / k;
        }
    }
    let mut pos = vec![(0.5, 0.5); n];
    let mut order = Vec::with_capacity(n);
    for (c, col) in cols.iter().enumerate() {
        let x = if columns == 1 {
            0.5
        } else {
            c as f32 / (columns - 1) as f32
        };
        for &i in col {
            pos[i] = (x, row_of[i]);
            order.push(NodeId::new(i));
        }
    }
    let rows = cols.iter().map(Vec::len).max().unwrap_or(1);
    Layout {
        pos,
        columns,
        rows,
        order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::shipped_trace as trace;

    #[test]
    fn the_classic_chain_is_one_row_client_to_server() {
        let t = trace("active-open");
        let l = layout(&t);
        let names: Vec<&str> = l.order.iter().map(|i| t.node_name(*i)).collect();
        assert_eq!(
            names,
            ["client", "client-fw", "internet", "server-fw", "server"]
        );
        assert!(l.pos.iter().all(|p| (p.1 - 0.5).abs() < 1e-6));
        assert_eq!((l.columns, l.rows), (5, 1));
    }

    #[test]
    fn clients_behind_a_nat_stack_in_one_column() {
        let t = trace("nat-two-clients-active-alg");
        let l = layout(&t);
        let at = |name: &str| l.pos[t.nodes.iter().position(|n| n.name == name).unwrap()];
        assert_eq!(at("alice").0, at("bob").0);
        assert_ne!(at("alice").1, at("bob").1);
        assert!(at("alice").0 < at("home-router").0 && at("home-router").0 < at("server").0);
        assert_eq!(l.rows, 2);
    }
}
