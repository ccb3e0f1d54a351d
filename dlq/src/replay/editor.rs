//! Editor support (`--edit`): a batch is handed to the user's editor before it is produced.

use super::ReplaySummary;
use super::plan::{Candidate, count_target};

/// Lets the user look at each batch before it is replayed (`--edit`): the editor may change the
/// candidates, and removes those to skip, returning how many it removed; `Err(EditAborted)`
/// stops the replay before this batch, committing nothing of it.
pub type Editor<'e> = dyn FnMut(&mut Vec<Candidate>) -> Result<u64, EditAborted> + 'e;

/// The user aborted the replay in the editor.
#[derive(Debug, Clone, Copy)]
pub struct EditAborted;

/// Shows a batch to the editor and counts what the user skipped; the targets are counted again
/// because the user may have changed them.
pub(super) fn edit_batch(
    editor: &mut Editor<'_>,
    batch: &mut Vec<Candidate>,
    batch_summary: &mut ReplaySummary,
) -> Result<(), EditAborted> {
    if batch.is_empty() {
        return Ok(());
    }
    batch_summary.skipped_by_user += editor(batch)?;
    batch_summary.targets.clear();
    for c in batch.iter() {
        count_target(&mut batch_summary.targets, &c.target);
    }
    Ok(())
}
