//! The smallest typst "world" the pack needs: one in-memory source file,
//! the fonts embedded in the binary by `typst-assets`, and no file system,
//! packages or clock. Nothing is read at run time, so the PDF looks the same
//! on every machine and a pack can never include a file from the server.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The standard library and the embedded fonts, built once per process:
/// parsing the fonts' tables is the costly part of a first render.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// A world of one source: the pack's typst markup.
pub struct PackWorld {
    main: Source,
}

impl PackWorld {
    pub fn new(markup: String) -> Self {
        Self {
            main: Source::detached(markup),
        }
    }
}

impl World for PackWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_string()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    /// No clock: the pack states its own dates, and a render of the same
    /// pack gives the same document.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
