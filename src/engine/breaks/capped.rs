//! A map that holds at most a given number of entries: every table of the tracker is one,
//! so memory stays bounded however long the capture.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map that holds at most `cap` entries and forgets the oldest inserted first.
#[derive(Debug)]
pub struct Capped<K, V> {
    map: HashMap<K, (u64, V)>,
    order: VecDeque<(u64, K)>,
    cap: usize,
    next: u64,
}

impl<K: Eq + Hash + Clone, V> Capped<K, V> {
    pub fn new(cap: usize) -> Self {
        Capped {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
            next: 0,
        }
    }

    pub fn insert(&mut self, k: K, v: V) {
        self.next += 1;
        self.map.insert(k.clone(), (self.next, v));
        self.order.push_back((self.next, k));
        while self.map.len() > self.cap {
            let Some((seq, k)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|(s, _)| *s == seq) {
                self.map.remove(&k);
            }
        }
        // Re-inserted keys leave stale entries behind: drop them now and then.
        if self.order.len() > 2 * self.cap + 16 {
            let map = &self.map;
            self.order
                .retain(|(seq, k)| map.get(k).is_some_and(|(s, _)| s == seq));
        }
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k).map(|(_, v)| v)
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k).map(|(_, v)| v)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_map_forgets_oldest() {
        let mut m = Capped::new(3);
        for i in 0..10u32 {
            m.insert(i, i);
        }
        assert_eq!(m.len(), 3);
        assert!(m.get(&6).is_none());
        assert_eq!(m.get(&9), Some(&9));
        // re-inserting one key many times keeps the order list bounded
        for _ in 0..1000 {
            m.insert(9, 1);
        }
        assert!(m.order.len() <= 2 * 3 + 16 + 1);
        assert_eq!(m.len(), 3);
    }
}
