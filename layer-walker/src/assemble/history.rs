//! Image history entries to the layers they made.

use sbom_core::Inventory;

/// Gives each layer the index and `created_by` of the history entry that made it. Empty
/// layers (`ENV`, `LABEL`) have history entries without a layer and are skipped.
pub(super) fn map_to_layers(inv: &mut Inventory) {
    for (hi, h) in inv.image.history.iter().enumerate() {
        if let Some(l) = h.layer_index.and_then(|li| inv.layers.get_mut(li)) {
            l.history_index = Some(hi);
            l.created_by.clone_from(&h.created_by);
        }
    }
}
