//! Anchors the prepared dependency set; it has no code of its own.
