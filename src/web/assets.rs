//! Static files, compiled into the binary so a release is one file. URLs
//! carry a content hash (`/static/app.css?v=1a2b3c4d`), so browsers may keep
//! them forever and still see a new version at once.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/dashboard.js"),
    },
    Asset {
        name: "rates.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/rates.js"),
    },
    Asset {
        name: "report.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/report.js"),
    },
    Asset {
        name: "sync.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/sync.js"),
    },
    Asset {
        name: "uplot.iife.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/vendor/uplot.iife.min.js"),
    },
    Asset {
        name: "uplot.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/vendor/uplot.min.css"),
    },
];

fn versions() -> &'static HashMap<&'static str, String> {
    static V: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    V.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let d = Sha256::digest(a.body);
                let hex: String = d.iter().take(6).map(|b| format!("{b:02x}")).collect();
                (a.name, hex)
            })
            .collect()
    })
}

/// The cache-busting URL of a static file, for templates.
pub fn url(name: &str) -> String {
    match versions().get(name) {
        Some(v) => format!("/static/{name}?v={v}"),
        None => format!("/static/{name}"),
    }
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return HttpResponse::NotFound().body("not found");
    };
    let version = versions().get(asset.name).map(String::as_str).unwrap_or("");
    let asked = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("v").cloned());
    let cache = if asked.as_deref() == Some(version) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .body(asset.body)
}
