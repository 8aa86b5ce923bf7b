//! The authorisation code flow, refresh rotation, revocation, client
//! credentials and the consent page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use consol::sim::http::SimConfig;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::*;

async fn err(r: reqwest::Response) -> (StatusCode, String) {
    let s = r.status();
    let v: Value = r.json().await.unwrap();
    (s, v["error"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn code_flow_without_pkce_gives_tokens_that_call_the_api() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let p = sim.authorize_code(&[]).await;
    assert_eq!(param(&p, "state").as_deref(), Some("xyz"));
    let t = sim.login().await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"].as_u64(), Some(1800));
    assert!(t["refresh_token"].as_str().is_some());
    assert!(
        t["scope"]
            .as_str()
            .unwrap()
            .contains("accounting.invoices.read")
    );
    // The id_token is JWT-shaped and carries the e-mail.
    let id = t["id_token"].as_str().unwrap();
    let payload = id.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["email"], "user@example.com");
    let r = sim.get(&token_of(&t), tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Organisations"][0]["Name"], "Alpha Ltd");
}

#[tokio::test]
async fn pkce_s256_is_verified() {
    let sim = Sim::empty().await;
    sim.setup().await;
    let verifier = "a-very-long-verifier-string-with-enough-entropy-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let pk = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // Wrong verifier.
    let code = param(&sim.authorize_code(&pk).await, "code").unwrap();
    let r = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "wrong"),
        ])
        .await;
    assert_eq!(
        err(r).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    // Missing verifier.
    let code = param(&sim.authorize_code(&pk).await, "code").unwrap();
    let r = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(err(r).await.1, "invalid_grant");
    // Right verifier.
    let code = param(&sim.authorize_code(&pk).await, "code").unwrap();
    let r = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn unregistered_redirect_uri_is_a_page_not_a_redirect() {
    let sim = Sim::empty().await;
    sim.setup().await;
    let r = sim
        .authorize(&[("redirect_uri", "http://evil.example/cb")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("redirect_uri"));
    let r = sim.authorize(&[("client_id", "nobody")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A code exchanged with another redirect_uri fails.
    let code = param(&sim.authorize_code(&[]).await, "code").unwrap();
    let r = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
        ])
        .await;
    assert_eq!(err(r).await.1, "invalid_grant");
}

#[tokio::test]
async fn codes_are_single_use_and_expire_after_five_minutes() {
    let sim = Sim::empty().await;
    sim.setup().await;
    let code = param(&sim.authorize_code(&[]).await, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    assert_eq!(sim.token(&form).await.status(), StatusCode::OK);
    assert_eq!(err(sim.token(&form).await).await.1, "invalid_grant");

    let code = param(&sim.authorize_code(&[]).await, "code").unwrap();
    sim.advance(301).await;
    let r = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(err(r).await.1, "invalid_grant");
}

#[tokio::test]
async fn refresh_rotates_with_a_thirty_minute_grace_window() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t1 = sim.login().await;
    let r1 = t1["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: String| {
        let sim = &sim;
        async move {
            sim.token(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
                .await
        }
    };
    let r = refresh(r1.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t2: Value = r.json().await.unwrap();
    let r2 = t2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    // The old one still works inside the grace period.
    sim.advance(29 * 60).await;
    assert_eq!(refresh(r1.clone()).await.status(), StatusCode::OK);
    sim.advance(2 * 60).await;
    assert_eq!(
        err(refresh(r1).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    // The new one works; the first access token has expired by now.
    let r = refresh(r2).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t3: Value = r.json().await.unwrap();
    let expired = sim.get(&token_of(&t1), tenants[0], "/Organisation").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let ok = sim.get(&token_of(&t3), tenants[0], "/Organisation").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let stats = sim.get_json("/_sim/stats").await;
    assert_eq!(stats["tokens"]["refreshed"].as_u64(), Some(3));
    assert_eq!(stats["tokens"]["issued"].as_u64(), Some(4));
}

#[tokio::test]
async fn revocation_kills_refresh_and_access_tokens() {
    let sim = Sim::empty().await;
    let tenants = sim.setup().await;
    let t = sim.login().await;
    let rt = t["refresh_token"].as_str().unwrap();
    let r = sim
        .http
        .post(sim.url("/connect/revocation"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = sim
        .token(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .await;
    assert_eq!(err(r).await.1, "invalid_grant");
    let r = sim.get(&token_of(&t), tenants[0], "/Organisation").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn client_credentials_are_bound_to_one_org_without_tenant_header() {
    let sim = Sim::empty().await;
    let (tenant, id, secret) = sim.add_org("Solo Ltd", "GBP").await;
    let (other, _, _) = sim.add_org("Other Ltd", "GBP").await;
    let r = sim
        .http
        .post(sim.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert!(t.get("refresh_token").is_none());
    let tok = token_of(&t);
    let r = sim
        .api(reqwest::Method::GET, &tok, None, "/Organisation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["Organisations"][0]["OrganisationID"], tenant.to_string());
    assert_eq!(
        sim.get(&tok, other, "/Organisation").await.status(),
        StatusCode::FORBIDDEN
    );
    // A Custom Connection cannot use the code flow grants.
    let r = sim
        .http
        .post(sim.url("/connect/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn client_auth_by_basic_or_form_and_bad_secret_is_401() {
    let sim = Sim::empty().await;
    sim.setup().await;
    let code = param(&sim.authorize_code(&[]).await, "code").unwrap();
    let r = sim
        .http
        .post(sim.url("/connect/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let code = param(&sim.authorize_code(&[]).await, "code").unwrap();
    let r = sim
        .http
        .post(sim.url("/connect/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        err(r).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".into())
    );
}

#[tokio::test]
async fn consent_page_lists_orgs_and_deny_redirects_with_access_denied() {
    let sim = Sim::start(SimConfig {
        auto_approve: false,
        today: today(),
        ..SimConfig::default()
    })
    .await;
    let tenants = sim.setup().await;
    let r = sim.authorize(&[("login_hint", "user@example.com")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for t in &tenants {
        assert!(
            html.contains(&format!("name=\"tenant\" value=\"{t}\" checked")),
            "each organisation can be chosen: {html}"
        );
    }
    assert!(
        html.contains("Alpha Ltd") && html.contains("Beta Pty"),
        "{html}"
    );
    let form = |decision: &'static str| {
        vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", READ_SCOPES),
            ("state", "s1"),
            ("login_hint", "user@example.com"),
            ("decision", decision),
        ]
    };
    let r = sim
        .http
        .post(sim.url("/identity/connect/authorize"))
        .form(&form("deny"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let p = redirect_params(&r);
    assert_eq!(param(&p, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&p, "state").as_deref(), Some("s1"));
    assert!(param(&p, "code").is_none());
    // Allowing with no organisation chosen is refused on the page.
    let r = sim
        .http
        .post(sim.url("/identity/connect/authorize"))
        .form(&form("allow"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let tenant = tenants[0].to_string();
    let mut chosen = form("allow");
    chosen.push(("tenant", tenant.as_str()));
    let r = sim
        .http
        .post(sim.url("/identity/connect/authorize"))
        .form(&chosen)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(param(&redirect_params(&r), "code").is_some());
}
