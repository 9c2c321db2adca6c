//! Unit tests of the segmenter.

use super::*;
