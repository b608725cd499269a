//! Pages of a list, one shape for every list and every facade: where a page starts (the first
//! page, or next to an item the caller already has, named by its id) and what lies beyond it.
//! Twilio's `PageToken`s and the control plane's limits both become a [`PageRequest`]; the
//! core reads one item more than asked to learn whether another page exists.

/// Where a page starts, in the list's own order (messages newest first, accounts oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageStart {
    First,
    /// The items just after this one.
    After(String),
    /// The items just before this one.
    Before(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub start: PageStart,
    /// At most this many items (at least one).
    pub size: u32,
}

impl PageRequest {
    /// The first `size` items.
    pub fn first(size: u32) -> Self {
        PageRequest {
            start: PageStart::First,
            size,
        }
    }
}

/// One page, and whether items lie beyond it on either side.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items follow the page's last one.
    pub has_next: bool,
    /// Items precede the page's first one.
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// A page of a short list held whole in memory. An anchor the list does not hold starts
    /// past its end: the page is empty.
    pub fn of_list(all: Vec<T>, request: &PageRequest, id: impl Fn(&T) -> &str) -> Page<T> {
        let size = request.size.max(1) as usize;
        let position = |anchor: &str| all.iter().position(|item| id(item) == anchor);
        let (start, end) = match &request.start {
            PageStart::First => (0, size.min(all.len())),
            PageStart::After(anchor) => {
                let start = position(anchor).map_or(all.len(), |i| i + 1);
                (start, (start + size).min(all.len()))
            }
            PageStart::Before(anchor) => {
                let end = position(anchor).unwrap_or(0);
                (end.saturating_sub(size), end)
            }
        };
        let has_next = end < all.len();
        let has_previous = start > 0;
        Page {
            items: all.into_iter().skip(start).take(end - start).collect(),
            has_next,
            has_previous,
        }
    }

    /// A page read with one item more than asked, in the list's order, from `start`: the
    /// extra item, if it came, only says that more lie on the far side.
    pub(in crate::core) fn of_read(mut items: Vec<T>, request: &PageRequest) -> Page<T> {
        let more = items.len() > request.size as usize;
        if more {
            match request.start {
                PageStart::Before(_) => drop(items.remove(0)),
                _ => drop(items.pop()),
            }
        }
        let (has_next, has_previous) = match request.start {
            PageStart::First => (more, false),
            PageStart::After(_) => (more, true),
            PageStart::Before(_) => (true, more),
        };
        Page {
            items,
            has_next,
            has_previous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &Page<String>) -> Vec<&str> {
        page.items.iter().map(String::as_str).collect()
    }

    fn request(start: PageStart, size: u32) -> PageRequest {
        PageRequest { start, size }
    }

    #[test]
    fn lists_in_memory_page_both_ways_from_an_item() {
        let all: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let first = Page::of_list(all.clone(), &PageRequest::first(2), String::as_str);
        assert_eq!(
            (ids(&first), first.has_next, first.has_previous),
            (vec!["a", "b"], true, false)
        );
        let next = Page::of_list(
            all.clone(),
            &request(PageStart::After("b".into()), 2),
            String::as_str,
        );
        assert_eq!(
            (ids(&next), next.has_next, next.has_previous),
            (vec!["c", "d"], true, true)
        );
        let last = Page::of_list(
            all.clone(),
            &request(PageStart::After("d".into()), 2),
            String::as_str,
        );
        assert_eq!(
            (ids(&last), last.has_next, last.has_previous),
            (vec!["e"], false, true)
        );
        let back = Page::of_list(
            all.clone(),
            &request(PageStart::Before("e".into()), 2),
            String::as_str,
        );
        assert_eq!(
            (ids(&back), back.has_next, back.has_previous),
            (vec!["c", "d"], true, true)
        );
        let unknown = Page::of_list(
            all,
            &request(PageStart::After("z".into()), 2),
            String::as_str,
        );
        assert!(unknown.items.is_empty() && !unknown.has_next);
    }

    #[test]
    fn a_read_page_drops_its_extra_item_on_the_far_side() {
        let read = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first = Page::of_read(read(&["a", "b", "c"]), &PageRequest::first(2));
        assert_eq!(
            (ids(&first), first.has_next, first.has_previous),
            (vec!["a", "b"], true, false)
        );
        let back = Page::of_read(
            read(&["a", "b", "c"]),
            &request(PageStart::Before("d".into()), 2),
        );
        assert_eq!(
            (ids(&back), back.has_next, back.has_previous),
            (vec!["b", "c"], true, true)
        );
        let end = Page::of_read(read(&["x"]), &request(PageStart::After("w".into()), 2));
        assert_eq!(
            (ids(&end), end.has_next, end.has_previous),
            (vec!["x"], false, true)
        );
    }
}
