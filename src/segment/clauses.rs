//! Where to cut a sentence too long for the model: at a clause boundary near its middle.

use super::lexicon;

/// Where to cut a too-long sentence: the clause boundary nearest its middle (after `,` `;` `:` `।`, or
/// before a conjunction), else the whitespace nearest the middle, else the char boundary nearest it.
/// `None` when the text is a single character.
pub(crate) fn best_split(text: &str) -> Option<usize> {
    let middle = text.len() / 2;
    let nearest = |candidates: Vec<usize>| {
        candidates.into_iter().filter(|&at| at > 0 && at < text.len()).min_by_key(|&at| at.abs_diff(middle))
    };
    let mut clause = Vec::new();
    let mut spaces = Vec::new();
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            spaces.push(i);
            let before = &text[..i];
            if before.ends_with([',', ';', ':', '।', '|']) {
                clause.push(i);
            }
            let next_word = text[i + c.len_utf8()..].split(char::is_whitespace).next().unwrap_or("");
            let word_follows = text[i + c.len_utf8() + next_word.len()..].starts_with(' ');
            if word_follows && lexicon::is_clause_conjunction(next_word) {
                clause.push(i);
            }
        }
    }
    nearest(clause).or_else(|| nearest(spaces)).or_else(|| {
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        nearest(boundaries)
    })
}

#[cfg(test)]
mod tests {
    use super::best_split;

    #[test]
    fn splits_prefer_clause_boundaries_near_the_middle() {
        let text = "पहला भाग बहुत लंबा है, दूसरा भाग भी लंबा है और तीसरा भाग";
        let at = best_split(text).unwrap();
        assert!(text[..at].ends_with(',') || text[at..].trim_start().starts_with("और"));
    }

    #[test]
    fn splits_fall_back_to_whitespace_then_characters() {
        assert_eq!(best_split("aaaa bbbb"), Some(4));
        assert_eq!(best_split("abcd"), Some(2));
        assert_eq!(best_split("a"), None);
    }
}
