//! The leader's assignment under the incremental cooperative protocols (`compatible`,
//! `sessioned`), following Apache's `IncrementalCooperativeAssignor` (KIP-415): members keep
//! what they run; each round the leader hands out only what is new to a member and names what
//! it must stop. Connectors and tasks of a member that left are held back for up to
//! `scheduled.rebalance.max.delay.ms`, in case it comes back, before they go to the others
//! (first to members that joined empty meanwhile); load is balanced by revoking the excess of
//! the busiest members in one round and handing it out in the next.
//!
//! The leader keeps its view of the previous round between rounds; a new leader starts from
//! what the members report running.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::assignor::{LeaderView, leader_url, mismatch};
use super::protocol::{Assignment, CONNECTOR_TASK, MemberMetadata, NO_ERROR, Protocol};

type Task = (String, u32);

/// A set of connectors and tasks (`ConnectorsAndTasks`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Work {
    pub connectors: BTreeSet<String>,
    pub tasks: BTreeSet<Task>,
}

impl Work {
    fn of(a: &Assignment) -> Work {
        Work {
            connectors: a.connectors().into_iter().collect(),
            tasks: a.tasks().into_iter().collect(),
        }
    }

    fn configured(work: &[(String, u32)]) -> Work {
        Work {
            connectors: work.iter().map(|(c, _)| c.clone()).collect(),
            tasks: work
                .iter()
                .flat_map(|(c, n)| (0..*n).map(move |t| (c.clone(), t)))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn minus(&self, other: &Work) -> Work {
        Work {
            connectors: self
                .connectors
                .difference(&other.connectors)
                .cloned()
                .collect(),
            tasks: self.tasks.difference(&other.tasks).cloned().collect(),
        }
    }

    fn and(&self, other: &Work) -> Work {
        Work {
            connectors: self
                .connectors
                .intersection(&other.connectors)
                .cloned()
                .collect(),
            tasks: self.tasks.intersection(&other.tasks).cloned().collect(),
        }
    }

    fn add(&mut self, other: &Work) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }

    fn overlaps(&self, other: &Work) -> bool {
        self.connectors.iter().any(|c| other.connectors.contains(c))
            || self.tasks.iter().any(|t| other.tasks.contains(t))
    }

    /// The assignment wire form: connector name to task numbers, -1 for the connector.
    pub fn to_map(&self) -> BTreeMap<String, Vec<i32>> {
        let mut out: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for c in &self.connectors {
            out.entry(c.clone()).or_default().push(CONNECTOR_TASK);
        }
        for (c, t) in &self.tasks {
            out.entry(c.clone()).or_default().push(*t as i32);
        }
        out
    }
}

/// One member's load in this round (`WorkerLoad`), in assignment order.
#[derive(Debug, Clone)]
struct Load {
    worker: String,
    connectors: Vec<String>,
    tasks: Vec<Task>,
}

impl Load {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn remove(&mut self, w: &Work) {
        self.connectors.retain(|c| !w.connectors.contains(c));
        self.tasks.retain(|t| !w.tasks.contains(t));
    }
}

/// `ExponentialBackoff(1, 40, max, 0)`: the delay before another load-balancing revocation when
/// the previous round revoked too.
fn revoking_backoff(max_delay: i64, attempts: u32) -> i64 {
    let initial = if max_delay == 0 {
        0
    } else {
        1i64.min(max_delay)
    };
    if max_delay <= initial {
        return initial;
    }
    let exp_max = (max_delay as f64 / initial.max(1) as f64).ln() / 40f64.ln();
    let exp = (attempts as f64).min(exp_max);
    let term = (initial as f64 * 40f64.powf(exp)) as i64;
    term.min(max_delay)
}

/// The leader's state between rounds.
#[derive(Debug)]
pub struct IncrementalAssignor {
    max_delay: i64,
    previous: Work,
    previous_revocation: Work,
    revoked_in_previous: bool,
    /// Members that joined empty while lost work was held back, in the order seen.
    candidates: Vec<String>,
    /// When held-back work is handed out (ms since the epoch); 0 when nothing is scheduled.
    scheduled_rebalance: i64,
    delay: i32,
    previous_generation: i32,
    previous_members: BTreeSet<String>,
    successive_revoking: u32,
}

impl IncrementalAssignor {
    pub fn new(max_delay: Duration) -> IncrementalAssignor {
        IncrementalAssignor {
            max_delay: max_delay.as_millis().min(i32::MAX as u128) as i64,
            previous: Work::default(),
            previous_revocation: Work::default(),
            revoked_in_previous: false,
            candidates: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation: -1,
            previous_members: BTreeSet::new(),
            successive_revoking: 0,
        }
    }

    /// Every member's assignment for this round. `last_completed_generation` is the generation
    /// of the leader's previous completed round, `generation` this one's.
    pub fn assign(
        &mut self,
        view: &LeaderView<'_>,
        members: &[(String, MemberMetadata)],
        last_completed_generation: i32,
        generation: i32,
        now_ms: i64,
        protocol: Protocol,
    ) -> BTreeMap<String, Assignment> {
        if let Some(out) = mismatch(view, members, protocol) {
            return out;
        }
        let owned: BTreeMap<String, Work> = members
            .iter()
            .map(|(id, m)| {
                (
                    id.clone(),
                    m.allocation.as_ref().map(Work::of).unwrap_or_default(),
                )
            })
            .collect();
        let configured = Work::configured(view.work);
        let (assigned, revoked) = self.perform(
            &configured,
            &owned,
            last_completed_generation,
            generation,
            now_ms,
        );
        let leader_url = leader_url(view, members);
        owned
            .keys()
            .map(|id| {
                let a = Assignment {
                    version: protocol.version(),
                    error: NO_ERROR,
                    leader: view.leader_id.to_owned(),
                    leader_url: leader_url.clone(),
                    config_offset: view.config_offset,
                    assigned: assigned.get(id).map(Work::to_map).unwrap_or_default(),
                    revoked: revoked.get(id).map(Work::to_map).unwrap_or_default(),
                    delay: self.delay,
                };
                (id.clone(), a)
            })
            .collect()
    }

    /// Returns what each member newly gets and what it must stop.
    fn perform(
        &mut self,
        configured: &Work,
        members: &BTreeMap<String, Work>,
        last_completed_generation: i32,
        generation: i32,
        now: i64,
    ) -> (BTreeMap<String, Work>, BTreeMap<String, Work>) {
        if self.previous_generation != last_completed_generation {
            // The previous round did not complete with this leader: its view may be stale.
            self.previous = Work::default();
        }
        let mut active = Work::default();
        for w in members.values() {
            active.add(w);
        }
        if !self.previous_revocation.is_empty() {
            // A revocation of the previous round did not take effect: start from what runs.
            if self.previous_revocation.overlaps(&active) {
                self.previous = active.clone();
            }
            self.previous_revocation = Work::default();
        }
        let deleted = self.previous.minus(configured);
        let duplicated = duplicated(members);
        let lost = self.previous.minus(&active).minus(&deleted);
        let created = configured.minus(&self.previous).minus(&active);

        let current: Vec<Load> = loads(members, Some(&deleted));
        let mut to_revoke: BTreeMap<String, Work> = BTreeMap::new();
        for (id, w) in members {
            let mut r = w.and(&deleted);
            r.add(&w.and(&duplicated));
            if !r.is_empty() {
                to_revoke.insert(id.clone(), r);
            }
        }
        let mut next = loads(members, None);
        for l in &mut next {
            if let Some(r) = to_revoke.get(&l.worker) {
                l.remove(r);
            }
        }

        let lost_to_reassign = self.handle_lost(&lost, &mut next, now);

        if self.delay == 0 {
            let balancing = balancing_revocations(configured, &next);
            let revoke_now = |to_revoke: &mut BTreeMap<String, Work>, next: &mut Vec<Load>| {
                for (id, r) in &balancing {
                    to_revoke.entry(id.clone()).or_default().add(r);
                }
                for l in next.iter_mut() {
                    if let Some(r) = balancing.get(&l.worker) {
                        l.remove(r);
                    }
                }
            };
            if self.revoked_in_previous && !balancing.is_empty() {
                self.successive_revoking += 1;
                self.delay = revoking_backoff(self.max_delay, self.successive_revoking) as i32;
                if self.delay != 0 {
                    self.scheduled_rebalance = now + self.delay as i64;
                } else {
                    revoke_now(&mut to_revoke, &mut next);
                }
            } else if !balancing.is_empty() {
                revoke_now(&mut to_revoke, &mut next);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                self.revoked_in_previous = false;
                self.successive_revoking = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = created;
        to_assign.add(&lost_to_reassign);
        if !next.is_empty() {
            assign_connectors(&mut next, &to_assign.connectors);
            assign_tasks(&mut next, &to_assign.tasks);
        }

        let mut assigned = BTreeMap::new();
        let mut previous = Work::default();
        for l in &next {
            let before = current.iter().find(|c| c.worker == l.worker);
            let new = Work {
                connectors: l
                    .connectors
                    .iter()
                    .filter(|c| !before.is_some_and(|b| b.connectors.contains(c)))
                    .cloned()
                    .collect(),
                tasks: l
                    .tasks
                    .iter()
                    .filter(|t| !before.is_some_and(|b| b.tasks.contains(t)))
                    .cloned()
                    .collect(),
            };
            previous.connectors.extend(l.connectors.iter().cloned());
            previous.tasks.extend(l.tasks.iter().cloned());
            assigned.insert(l.worker.clone(), new);
        }
        for r in to_revoke.values() {
            previous = previous.minus(r);
            self.previous_revocation.add(r);
        }
        previous.add(&lost);
        self.previous = previous;
        self.previous_generation = generation;
        self.previous_members = members.keys().cloned().collect();
        (assigned, to_revoke)
    }

    /// Lost work (run by a member that is gone) waits for the scheduled rebalance; once it is
    /// due, it goes to the members that joined empty meanwhile, or to everyone as new work.
    fn handle_lost(&mut self, lost: &Work, next: &mut [Load], now: i64) -> Work {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return Work::default();
        }
        let active: BTreeSet<&String> = next.iter().map(|l| &l.worker).collect();
        let nobody_left = self.previous_members.iter().all(|m| active.contains(m));
        if self.scheduled_rebalance <= 0 && nobody_left {
            // Nobody departed: the missing work was never received; hand it out again.
            return lost.clone();
        }
        if self.max_delay == 0 {
            return lost.clone();
        }
        let mut to_reassign = Work::default();
        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            let candidates: Vec<usize> = self
                .candidates
                .iter()
                .filter_map(|c| next.iter().position(|l| &l.worker == c))
                .collect();
            if candidates.is_empty() {
                to_reassign = lost.clone();
            } else {
                for (i, c) in lost.connectors.iter().enumerate() {
                    next[candidates[i % candidates.len()]]
                        .connectors
                        .push(c.clone());
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    next[candidates[i % candidates.len()]].tasks.push(t.clone());
                }
            }
            self.reset_delay();
            self.revoked_in_previous = false;
        } else {
            for l in next.iter().filter(|l| l.is_empty()) {
                if !self.candidates.contains(&l.worker) {
                    self.candidates.push(l.worker.clone());
                }
            }
            self.delay = if now < self.scheduled_rebalance {
                (self.scheduled_rebalance - now).min(self.max_delay) as i32
            } else {
                self.max_delay as i32
            };
            self.scheduled_rebalance = now + self.delay as i64;
        }
        to_reassign
    }

    fn reset_delay(&mut self) {
        self.candidates.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }
}

fn loads(members: &BTreeMap<String, Work>, exclude: Option<&Work>) -> Vec<Load> {
    members
        .iter()
        .map(|(id, w)| Load {
            worker: id.clone(),
            connectors: w
                .connectors
                .iter()
                .filter(|c| !exclude.is_some_and(|x| x.connectors.contains(*c)))
                .cloned()
                .collect(),
            tasks: w
                .tasks
                .iter()
                .filter(|t| !exclude.is_some_and(|x| x.tasks.contains(*t)))
                .cloned()
                .collect(),
        })
        .collect()
}

/// What runs on more than one member.
fn duplicated(members: &BTreeMap<String, Work>) -> Work {
    let mut seen = Work::default();
    let mut twice = Work::default();
    for w in members.values() {
        for c in &w.connectors {
            if !seen.connectors.insert(c.clone()) {
                twice.connectors.insert(c.clone());
            }
        }
        for t in &w.tasks {
            if !seen.tasks.insert(t.clone()) {
                twice.tasks.insert(t.clone());
            }
        }
    }
    twice
}

/// What to take from the busiest members so that none runs more than a balanced share.
fn balancing_revocations(configured: &Work, workers: &[Load]) -> BTreeMap<String, Work> {
    let mut out: BTreeMap<String, Work> = BTreeMap::new();
    if workers.iter().all(Load::is_empty) || configured.is_empty() {
        return out;
    }
    for (id, cs) in excess(configured.connectors.len(), workers, |l| &l.connectors) {
        out.entry(id).or_default().connectors.extend(cs);
    }
    for (id, ts) in excess(configured.tasks.len(), workers, |l| &l.tasks) {
        out.entry(id).or_default().tasks.extend(ts);
    }
    out
}

fn excess<T: Clone>(
    total: usize,
    workers: &[Load],
    items: impl Fn(&Load) -> &Vec<T>,
) -> Vec<(String, Vec<T>)> {
    let n = workers.len();
    let min = total / n;
    let extra = total % n;
    let at_min = workers.iter().filter(|w| items(w).len() == min).count();
    let at_extra = workers.iter().filter(|w| items(w).len() == min + 1).count();
    if at_extra == extra && at_min + at_extra == n {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut extras = 0;
    for w in workers {
        let size = items(w).len();
        if size <= min {
            continue;
        }
        let keep = if extras < extra {
            extras += 1;
            if size == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        out.push((w.worker.clone(), items(w)[..size - keep].to_vec()));
    }
    out
}

/// Deals `items` out to the least loaded members first (`assignConnectors`/`assignTasks`):
/// members sorted by load then id; each pass goes over the members at the first one's load.
fn deal<T: Clone>(
    workers: &mut [Load],
    items: &BTreeSet<T>,
    load: impl Fn(&mut Load) -> &mut Vec<T>,
) {
    let mut it = items.iter().peekable();
    while it.peek().is_some() {
        let first = load(&mut workers[0]).len();
        let up_to = (0..workers.len())
            .find(|i| load(&mut workers[*i]).len() > first)
            .unwrap_or(workers.len());
        for w in workers[..up_to].iter_mut() {
            match it.next() {
                Some(x) => load(w).push(x.clone()),
                None => break,
            }
        }
    }
}

fn assign_connectors(workers: &mut [Load], connectors: &BTreeSet<String>) {
    workers.sort_by(|a, b| (a.connectors.len(), &a.worker).cmp(&(b.connectors.len(), &b.worker)));
    deal(workers, connectors, |l| &mut l.connectors);
}

fn assign_tasks(workers: &mut [Load], tasks: &BTreeSet<Task>) {
    workers.sort_by(|a, b| (a.tasks.len(), &a.worker).cmp(&(b.tasks.len(), &b.worker)));
    deal(workers, tasks, |l| &mut l.tasks);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, owned: &[(&str, &[i32])]) -> (String, MemberMetadata) {
        let mut a = Assignment {
            version: 1,
            ..Default::default()
        };
        for (c, ts) in owned {
            a.assigned.insert((*c).to_owned(), ts.to_vec());
        }
        (
            id.to_owned(),
            MemberMetadata {
                version: 1,
                url: format!("http://{id}/"),
                config_offset: 5,
                allocation: Some(a),
            },
        )
    }

    fn view<'a>(work: &'a [(String, u32)]) -> LeaderView<'a> {
        LeaderView {
            leader_id: "m1",
            config_offset: 5,
            work,
        }
    }

    fn count(out: &BTreeMap<String, Assignment>, id: &str) -> usize {
        out[id].assigned.values().map(Vec::len).sum()
    }

    #[test]
    fn new_work_is_dealt_and_kept_work_is_not_sent_again() {
        let work = vec![("a".to_owned(), 2), ("b".to_owned(), 2)];
        let mut asg = IncrementalAssignor::new(Duration::from_secs(300));
        let members = [member("m1", &[]), member("m2", &[])];
        let out = asg.assign(&view(&work), &members, -1, 1, 0, Protocol::Sessioned);
        assert_eq!(count(&out, "m1") + count(&out, "m2"), 6);
        assert_eq!(count(&out, "m1"), 3);
        assert!(out.values().all(|a| a.revoked.is_empty() && a.version == 2));
        // Next round, each member reports what it got: nothing new, nothing revoked.
        let members = [
            member(
                "m1",
                &out["m1"]
                    .assigned
                    .iter()
                    .map(|(c, t)| (c.as_str(), t.as_slice()))
                    .collect::<Vec<_>>(),
            ),
            member(
                "m2",
                &out["m2"]
                    .assigned
                    .iter()
                    .map(|(c, t)| (c.as_str(), t.as_slice()))
                    .collect::<Vec<_>>(),
            ),
        ];
        let again = asg.assign(&view(&work), &members, 1, 2, 10, Protocol::Sessioned);
        assert!(again.values().all(|a| a.is_empty()), "{again:?}");
    }

    #[test]
    fn a_departed_members_work_waits_for_the_delay_then_moves() {
        let work = vec![("a".to_owned(), 2)];
        let mut asg = IncrementalAssignor::new(Duration::from_millis(1000));
        let both = [
            member("m1", &[("a", &[-1, 1])]),
            member("m2", &[("a", &[0])]),
        ];
        let first = asg.assign(&view(&work), &both, -1, 1, 0, Protocol::Compatible);
        assert!(first.values().all(|a| a.is_empty()));
        // m2 is gone: task a-0 is lost and held back with a delay.
        let alone = [member("m1", &[("a", &[-1, 1])])];
        let held = asg.assign(&view(&work), &alone, 1, 2, 100, Protocol::Compatible);
        assert!(held["m1"].assigned.is_empty());
        assert_eq!(held["m1"].delay, 1000);
        // Still early: the delay shrinks.
        let held = asg.assign(&view(&work), &alone, 2, 3, 600, Protocol::Compatible);
        assert_eq!(held["m1"].delay, 500);
        // Due: m1 gets it.
        let moved = asg.assign(&view(&work), &alone, 3, 4, 1100, Protocol::Compatible);
        assert_eq!(moved["m1"].assigned["a"], vec![0]);
        assert_eq!(moved["m1"].delay, 0);
    }

    #[test]
    fn a_new_member_takes_load_after_a_revocation_round() {
        let work = vec![("a".to_owned(), 4)];
        let mut asg = IncrementalAssignor::new(Duration::from_secs(300));
        let one = [member("m1", &[("a", &[-1, 0, 1, 2, 3])])];
        asg.assign(&view(&work), &one, -1, 1, 0, Protocol::Compatible);
        let two = [member("m1", &[("a", &[-1, 0, 1, 2, 3])]), member("m2", &[])];
        let out = asg.assign(&view(&work), &two, 1, 2, 10, Protocol::Compatible);
        assert_eq!(out["m1"].revoked["a"], vec![0, 1]);
        assert!(out["m2"].assigned.is_empty());
        let after = [member("m1", &[("a", &[-1, 2, 3])]), member("m2", &[])];
        let out = asg.assign(&view(&work), &after, 2, 3, 20, Protocol::Compatible);
        assert_eq!(out["m2"].assigned["a"], vec![0, 1]);
        assert!(out["m1"].is_empty());
    }

    #[test]
    fn deleted_and_duplicated_work_is_revoked() {
        let work = vec![("b".to_owned(), 1)];
        let mut asg = IncrementalAssignor::new(Duration::from_secs(300));
        let before = vec![("a".to_owned(), 1), ("b".to_owned(), 1)];
        let m = [
            member("m1", &[("a", &[-1, 0])]),
            member("m2", &[("b", &[-1, 0])]),
        ];
        asg.assign(&view(&before), &m, -1, 1, 0, Protocol::Compatible);
        let out = asg.assign(&view(&work), &m, 1, 2, 5, Protocol::Compatible);
        assert_eq!(out["m1"].revoked["a"], vec![-1, 0]);
        let dup = [
            member("m1", &[("b", &[0])]),
            member("m2", &[("b", &[-1, 0])]),
        ];
        let out = IncrementalAssignor::new(Duration::ZERO).assign(
            &view(&work),
            &dup,
            -1,
            1,
            0,
            Protocol::Compatible,
        );
        assert_eq!(out["m1"].revoked["b"], vec![0]);
        assert_eq!(out["m2"].revoked["b"], vec![0]);
    }

    #[test]
    fn backoff_matches_apaches_exponential_backoff() {
        assert_eq!(revoking_backoff(300_000, 1), 40);
        assert_eq!(revoking_backoff(300_000, 2), 1600);
        assert_eq!(revoking_backoff(300_000, 4), 300_000);
        assert_eq!(revoking_backoff(0, 3), 0);
    }
}
