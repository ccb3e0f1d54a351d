//! The leader's assignment (`EagerAssignor`): connectors first, then tasks, each dealt
//! round-robin over the members sorted by member id, both sorted (connectors by name, tasks by
//! connector then number), from the leader's view of the config topic. A leader that has read
//! less of the config topic than some member reports answers every member CONFIG_MISMATCH, so
//! they read the topic further and join again.

use std::collections::BTreeMap;

use super::protocol::{
    Assignment, CONFIG_MISMATCH, CONNECTOR_TASK, MemberMetadata, NO_ERROR, Protocol,
};

/// What the leader knows when it assigns.
pub struct LeaderView<'a> {
    pub leader_id: &'a str,
    /// The leader's config-topic offset.
    pub config_offset: i64,
    /// Connectors (sorted) and their committed task counts.
    pub work: &'a [(String, u32)],
}

/// When the leader has read less of the config topic than some member, every member's
/// assignment is CONFIG_MISMATCH (empty), so they read further and join again.
pub fn mismatch(
    view: &LeaderView<'_>,
    members: &[(String, MemberMetadata)],
    protocol: Protocol,
) -> Option<BTreeMap<String, Assignment>> {
    let max_offset = members
        .iter()
        .map(|(_, m)| m.config_offset)
        .max()
        .unwrap_or(view.config_offset);
    if view.config_offset >= max_offset {
        return None;
    }
    Some(empty(view, members, protocol, CONFIG_MISMATCH, max_offset))
}

/// The leader's advertised URL, from its own metadata.
pub fn leader_url(view: &LeaderView<'_>, members: &[(String, MemberMetadata)]) -> String {
    members
        .iter()
        .find(|(id, _)| id == view.leader_id)
        .map(|(_, m)| m.url.clone())
        .unwrap_or_default()
}

/// An assignment with nothing in it for every member.
fn empty(
    view: &LeaderView<'_>,
    members: &[(String, MemberMetadata)],
    protocol: Protocol,
    error: i16,
    config_offset: i64,
) -> BTreeMap<String, Assignment> {
    let leader_url = leader_url(view, members);
    members
        .iter()
        .map(|(id, _)| {
            (
                id.clone(),
                Assignment {
                    version: protocol.version(),
                    error,
                    leader: view.leader_id.to_owned(),
                    leader_url: leader_url.clone(),
                    config_offset,
                    ..Default::default()
                },
            )
        })
        .collect()
}

/// Eager round-robin assignment for every member. `members` are (member id, metadata).
pub fn eager(
    view: &LeaderView<'_>,
    members: &[(String, MemberMetadata)],
) -> BTreeMap<String, Assignment> {
    if let Some(out) = mismatch(view, members, Protocol::Eager) {
        return out;
    }
    let mut sorted: Vec<&(String, MemberMetadata)> = members.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = empty(view, members, Protocol::Eager, NO_ERROR, view.config_offset);
    if sorted.is_empty() {
        return out;
    }
    let mut next = 0usize;
    let mut deal = |out: &mut BTreeMap<String, Assignment>, connector: &str, task: i32| {
        let member = &sorted[next % sorted.len()].0;
        next += 1;
        if let Some(a) = out.get_mut(member) {
            a.assigned
                .entry(connector.to_owned())
                .or_default()
                .push(task);
        }
    };
    for (c, _) in view.work {
        deal(&mut out, c, CONNECTOR_TASK);
    }
    for (c, n) in view.work {
        for t in 0..*n {
            deal(&mut out, c, t as i32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, offset: i64) -> (String, MemberMetadata) {
        (
            id.to_owned(),
            MemberMetadata {
                version: 0,
                url: format!("http://{id}/"),
                config_offset: offset,
                allocation: None,
            },
        )
    }

    #[test]
    fn connectors_then_tasks_round_robin_over_sorted_members() {
        let work = vec![("a".to_owned(), 2), ("b".to_owned(), 1)];
        let view = LeaderView {
            leader_id: "m2",
            config_offset: 10,
            work: &work,
        };
        let out = eager(&view, &[member("m2", 10), member("m1", 9)]);
        // m1: connector a, task a-0, task b-0; m2: connector b, task a-1
        assert_eq!(out["m1"].assigned["a"], vec![-1, 0]);
        assert_eq!(out["m1"].assigned["b"], vec![0]);
        assert_eq!(out["m2"].assigned["b"], vec![-1]);
        assert_eq!(out["m2"].assigned["a"], vec![1]);
        assert_eq!(out["m1"].leader_url, "http://m2/");
        assert_eq!(out["m1"].config_offset, 10);
    }

    #[test]
    fn a_leader_behind_a_member_answers_config_mismatch() {
        let work = vec![("a".to_owned(), 1)];
        let view = LeaderView {
            leader_id: "m1",
            config_offset: 3,
            work: &work,
        };
        let out = eager(&view, &[member("m1", 3), member("m2", 5)]);
        assert!(
            out.values()
                .all(|a| a.error == CONFIG_MISMATCH && a.assigned.is_empty())
        );
        assert_eq!(out["m2"].config_offset, 5);
    }
}
