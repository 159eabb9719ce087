//! A list operation's pages, read as one stream of items.
//!
//! The generated code knows how one page is requested and read (which query
//! parameter moves, where the items and the totals are); this module knows
//! when to stop, once for every style. It stops at an empty page, at the
//! total the server reports, when a token runs out, and when the server
//! returns a page it has returned before: a server that ignores the page
//! parameter would otherwise be read forever. A server that ignores it but
//! changes something on every page repeats nothing, so a list also ends
//! after [`DEFAULT_MAX_PAGES`] pages ([`Items::max_pages`] to change), with
//! [`Error::PageLimit`]. Each page is an ordinary call, so the client's
//! retries, timeouts and concurrency limit apply to it.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Error;

/// Pages one [`Items`] fetches at most unless [`Items::max_pages`] says
/// otherwise: 1,000 pages of 50 items is a list of 50,000.
pub const DEFAULT_MAX_PAGES: u64 = 1_000;

/// Where a page starts: what the generated code sets on the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cursor {
    /// A 1-based page number (`page`/`per_page` APIs such as Cloudflare's).
    Page(u64),
    /// How many items to skip (`limit`/`offset` APIs such as Gcore's).
    Offset(u64),
    /// The token the previous page returned; `None` for the first page.
    Token(Option<String>),
}

/// One page, as the generated code reads it out of a response.
#[derive(Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items, in order.
    pub items: Vec<T>,
    /// What the server says the whole list holds, when it says: the number of
    /// pages for [`Cursor::Page`], the number of items for [`Cursor::Offset`].
    pub total: Option<u64>,
    /// The next page's token, for [`Cursor::Token`].
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items` with what the server said about the rest.
    pub fn new(items: Vec<T>, total: Option<u64>, next: Option<String>) -> Self {
        Self { items, total, next }
    }
}

/// The request of one page, as a boxed future.
pub type PageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send + 'a>>;

type Fetch<'a, T> = Box<dyn FnMut(Cursor) -> PageFuture<'a, T> + Send + 'a>;

/// Every item of a list, fetched a page at a time as it is read.
///
/// Read it with [`next`](Self::next) or [`try_collect`](Self::try_collect), or
/// as a `futures::Stream`. An error ends it: the failed page's error is its
/// last element. So does a list that has not ended after
/// [`max_pages`](Self::max_pages) pages ([`DEFAULT_MAX_PAGES`] by default):
/// its last element is [`Error::PageLimit`].
///
/// A generated client's `.items()` builds one; here, a list served from memory:
///
/// ```
/// use openapi_client_runtime::paginate::{Cursor, Items, Page};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), openapi_client_runtime::Error> {
/// let pages = [vec![1, 2], vec![3], vec![]];
/// let items = Items::new(Cursor::Page(1), move |cursor| {
///     let Cursor::Page(n) = cursor else { unreachable!() };
///     let page = Page::new(pages[n as usize - 1].clone(), None, None);
///     Box::pin(async move { Ok(page) })
/// });
/// assert_eq!(items.try_collect().await?, [1, 2, 3]);
/// # Ok(())
/// # }
/// ```
#[must_use = "a stream fetches nothing until it is read"]
pub struct Items<'a, T> {
    fetch: Fetch<'a, T>,
    pending: Option<PageFuture<'a, T>>,
    /// The cursor of the page to fetch next; `None` once the list is done.
    cursor: Option<Cursor>,
    ready: VecDeque<T>,
    /// Fingerprints of the pages and tokens seen, to stop on a repeat.
    seen: HashSet<u64>,
    /// Pages fetched so far, and the most to fetch.
    pages: u64,
    max_pages: u64,
}

// No field is ever pinned in place: the page's future is boxed.
impl<T> Unpin for Items<'_, T> {}

impl<T> std::fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("next_page", &self.cursor)
            .field("buffered", &self.ready.len())
            .field("pages", &self.pages)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<'a, T: serde::Serialize> Items<'a, T> {
    /// Starts at `first`; `fetch` requests the page a cursor names.
    pub fn new(first: Cursor, fetch: impl FnMut(Cursor) -> PageFuture<'a, T> + Send + 'a) -> Self {
        Self {
            fetch: Box::new(fetch),
            pending: None,
            cursor: Some(first),
            ready: VecDeque::new(),
            seen: HashSet::new(),
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Fetches at most `pages` pages (at least 1; [`DEFAULT_MAX_PAGES`] unless
    /// set). A list that still has a next page after them ends with
    /// [`Error::PageLimit`], once their items are read.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// The next item, fetching the next page when this one is used up;
    /// `None` at the end of the list.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Reads the whole list.
    ///
    /// # Errors
    ///
    /// The first page that fails, after the client's retries.
    pub async fn try_collect(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(item) = self.next().await {
            all.push(item?);
        }
        Ok(all)
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            let Some(cursor) = &self.cursor else {
                return Poll::Ready(None);
            };
            let pending = match &mut self.pending {
                Some(pending) => pending,
                None if self.pages >= self.max_pages => {
                    self.cursor = None;
                    return Poll::Ready(Some(Err(Error::PageLimit {
                        pages: self.max_pages,
                    })));
                }
                None => {
                    self.pages += 1;
                    self.pending.insert((self.fetch)(cursor.clone()))
                }
            };
            let page = match pending.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(page) => page,
            };
            self.pending = None;
            match page {
                Ok(page) => self.accept(page),
                Err(e) => {
                    self.cursor = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    /// Queues a fetched page's items and works out the next cursor.
    fn accept(&mut self, page: Page<T>) {
        let Some(cursor) = self.cursor.take() else {
            return;
        };
        if page.items.is_empty() || !self.first_sight(&page.items) {
            return;
        }
        let count = page.items.len() as u64;
        self.cursor = match cursor {
            Cursor::Page(n) => match page.total {
                Some(pages) if n >= pages => None,
                _ => Some(Cursor::Page(n + 1)),
            },
            Cursor::Offset(skip) => {
                let skip = skip + count;
                match page.total {
                    Some(total) if skip >= total => None,
                    _ => Some(Cursor::Offset(skip)),
                }
            }
            Cursor::Token(_) => page
                .next
                .filter(|token| !token.is_empty() && self.first_sight(&("token", token)))
                .map(|token| Cursor::Token(Some(token))),
        };
        self.ready.extend(page.items);
    }

    /// Whether `value` was not seen before; remembers it.
    fn first_sight(&mut self, value: &impl serde::Serialize) -> bool {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        // Items that cannot be serialized cannot be compared either: counted
        // as new, and the other rules still end the list.
        serde_json::to_vec(value).ok().hash(&mut hasher);
        let new = self.seen.insert(hasher.finish());
        #[cfg(feature = "tracing")]
        if !new {
            tracing::warn!(
                target: "openapi_client_runtime",
                "the server returned a page (or token) it had returned before; the list ends here"
            );
        }
        new
    }
}

impl<T: serde::Serialize> futures_core::Stream for Items<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

/// A page number or size as the spec types it: converted both ways, so the
/// generated code sets any numeric parameter type from a cursor.
pub trait Number: Sized {
    /// The value for `n`, if the type can hold it.
    fn from_u64(n: u64) -> Option<Self>;
    /// The value as a count, if it is one.
    fn to_u64(&self) -> Option<u64>;
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn from_u64(n: u64) -> Option<Self> {
                Self::try_from(n).ok()
            }
            fn to_u64(&self) -> Option<u64> {
                u64::try_from(*self).ok()
            }
        }
    )*};
}
number!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

macro_rules! nonzero {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn from_u64(n: u64) -> Option<Self> {
                Self::new(Number::from_u64(n)?)
            }
            fn to_u64(&self) -> Option<u64> {
                self.get().to_u64()
            }
        }
    )*};
}
nonzero!(
    std::num::NonZeroU8,
    std::num::NonZeroU16,
    std::num::NonZeroU32,
    std::num::NonZeroU64,
    std::num::NonZeroUsize
);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[allow(clippy::cast_precision_loss)]
            fn from_u64(n: u64) -> Option<Self> {
                Some(n as $t)
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            fn to_u64(&self) -> Option<u64> {
                (self.is_finite() && *self >= 0.0).then(|| *self as u64)
            }
        }
    )*};
}
float!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A list served from `pages` (looked up by cursor), recording the
    /// cursors it was asked for.
    fn served(
        first: Cursor,
        pages: impl Fn(&Cursor) -> Result<Page<u32>, Error> + Send + 'static,
    ) -> (Items<'static, u32>, Arc<Mutex<Vec<Cursor>>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let items = Items::new(first, move |cursor| {
            log.lock().unwrap().push(cursor.clone());
            let page = pages(&cursor);
            Box::pin(async move { page })
        });
        (items, asked)
    }

    fn run<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn page_numbers_run_to_an_empty_page() {
        let (items, asked) = served(Cursor::Page(1), |c| {
            Ok(match c {
                Cursor::Page(1) => Page::new(vec![1, 2], None, None),
                Cursor::Page(2) => Page::new(vec![3], None, None),
                _ => Page::new(vec![], None, None),
            })
        });
        assert_eq!(run(items.try_collect()).unwrap(), [1, 2, 3]);
        assert_eq!(
            *asked.lock().unwrap(),
            [Cursor::Page(1), Cursor::Page(2), Cursor::Page(3)]
        );
    }

    #[test]
    fn page_numbers_stop_at_the_reported_page_count() {
        let (items, asked) = served(Cursor::Page(1), |c| {
            let Cursor::Page(n) = c else { unreachable!() };
            Ok(Page::new(vec![*n as u32], Some(2), None))
        });
        assert_eq!(run(items.try_collect()).unwrap(), [1, 2]);
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

    #[test]
    fn offsets_advance_by_the_items_received_and_stop_at_the_total() {
        let (items, asked) = served(Cursor::Offset(0), |c| {
            let Cursor::Offset(skip) = c else {
                unreachable!()
            };
            let all = [10, 11, 12, 13, 14];
            let skip = *skip as usize;
            Ok(Page::new(
                all[skip..(skip + 2).min(5)].to_vec(),
                Some(5),
                None,
            ))
        });
        assert_eq!(run(items.try_collect()).unwrap(), [10, 11, 12, 13, 14]);
        assert_eq!(
            *asked.lock().unwrap(),
            [Cursor::Offset(0), Cursor::Offset(2), Cursor::Offset(4)]
        );
    }

    #[test]
    fn a_repeated_page_ends_the_list_without_its_items() {
        // A server that ignores the page parameter: the same page every time.
        let (items, asked) = served(Cursor::Page(1), |_| Ok(Page::new(vec![7, 8], None, None)));
        assert_eq!(run(items.try_collect()).unwrap(), [7, 8]);
        assert_eq!(asked.lock().unwrap().len(), 2);

        // One that cycles through two pages.
        let (items, _) = served(Cursor::Offset(0), |c| {
            let Cursor::Offset(skip) = c else {
                unreachable!()
            };
            Ok(Page::new(vec![(skip % 2) as u32], None, None))
        });
        assert_eq!(run(items.try_collect()).unwrap(), [0, 1]);
    }

    #[test]
    fn tokens_run_until_absent_empty_or_repeated() {
        let (items, asked) = served(Cursor::Token(None), |c| {
            let Cursor::Token(token) = c else {
                unreachable!()
            };
            Ok(match token.as_deref() {
                None => Page::new(vec![1], None, Some("b".into())),
                Some("b") => Page::new(vec![2], None, Some("c".into())),
                _ => Page::new(vec![3], None, Some(String::new())),
            })
        });
        assert_eq!(run(items.try_collect()).unwrap(), [1, 2, 3]);
        assert_eq!(asked.lock().unwrap().len(), 3);

        let (items, asked) = served(Cursor::Token(None), |c| {
            let Cursor::Token(token) = c else {
                unreachable!()
            };
            let n = token.as_ref().map_or(0, |t| t.len() as u32);
            // Pages differ, but the token comes back: "a" again after "a".
            Ok(Page::new(vec![n, n + 10], None, Some("a".into())))
        });
        assert_eq!(run(items.try_collect()).unwrap(), [0, 10, 1, 11]);
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

    #[test]
    fn an_error_is_the_last_element() {
        let (mut items, asked) = served(Cursor::Page(1), |c| match c {
            Cursor::Page(1) => Ok(Page::new(vec![1], None, None)),
            _ => Err(Error::InvalidArgument {
                name: "page",
                reason: "refused".into(),
            }),
        });
        run(async {
            assert_eq!(items.next().await.unwrap().unwrap(), 1);
            assert!(items.next().await.unwrap().is_err());
            assert!(items.next().await.is_none());
        });
        assert_eq!(asked.lock().unwrap().len(), 2);
    }

    /// A server that ignores the page parameter but changes one field of its
    /// item on every page: no page repeats, none is empty, no total.
    fn endless() -> (Items<'static, u32>, Arc<Mutex<Vec<Cursor>>>) {
        let served = Arc::new(Mutex::new(0));
        served_by(Cursor::Page(1), move |_| {
            let mut n = served.lock().unwrap();
            *n += 1;
            Ok(Page::new(vec![*n], None, None))
        })
    }

    fn served_by(
        first: Cursor,
        pages: impl FnMut(&Cursor) -> Result<Page<u32>, Error> + Send + 'static,
    ) -> (Items<'static, u32>, Arc<Mutex<Vec<Cursor>>>) {
        let pages = Mutex::new(pages);
        served(first, move |cursor| (pages.lock().unwrap())(cursor))
    }

    #[test]
    fn an_endless_list_ends_with_an_error_at_the_default_page_limit() {
        let (mut items, asked) = endless();
        let (read, error) = run(async {
            let mut read = 0;
            // Bounded, so that the test fails instead of running forever.
            for _ in 0..10 * DEFAULT_MAX_PAGES {
                match items.next().await {
                    Some(Ok(_)) => read += 1,
                    Some(Err(e)) => return (read, Some(e)),
                    None => break,
                }
            }
            (read, None)
        });
        let error = error.expect("the stream never ended with an error");
        assert!(
            matches!(error, Error::PageLimit { pages } if pages == DEFAULT_MAX_PAGES),
            "{error:?}"
        );
        assert_eq!(read, DEFAULT_MAX_PAGES);
        assert_eq!(asked.lock().unwrap().len() as u64, DEFAULT_MAX_PAGES);
        assert!(run(items.next()).is_none());
    }

    #[test]
    fn the_page_limit_is_settable_and_a_list_that_ends_within_it_is_whole() {
        let (items, asked) = endless();
        let error = run(items.max_pages(3).try_collect()).unwrap_err();
        assert!(matches!(error, Error::PageLimit { pages: 3 }), "{error:?}");
        assert_eq!(asked.lock().unwrap().len(), 3);
        assert!(error.to_string().contains("max_pages"), "{error}");

        // Exactly as many pages as the limit, the last one announced: no error.
        let (items, _) = served(Cursor::Page(1), |c| {
            let Cursor::Page(n) = c else { unreachable!() };
            Ok(Page::new(vec![*n as u32], Some(3), None))
        });
        assert_eq!(run(items.max_pages(3).try_collect()).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn numbers_convert_both_ways_where_they_can() {
        assert_eq!(<f64 as Number>::from_u64(3), Some(3.0));
        assert_eq!(Number::to_u64(&2.0_f64), Some(2));
        assert_eq!(Number::to_u64(&-1.0_f64), None);
        assert_eq!(<std::num::NonZeroU64 as Number>::from_u64(0), None);
        assert_eq!(<i32 as Number>::from_u64(u64::MAX), None);
        assert_eq!(Number::to_u64(&-5_i64), None);
    }
}
