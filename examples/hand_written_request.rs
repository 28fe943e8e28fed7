//! A request the generated clients do not make (an endpoint newer than the descriptions, say),
//! authenticated by the connection: through its `send`, and through a reqwest-middleware
//! client that also talks to other hosts.
//!
//! ```sh
//! cargo run -p infobip-examples --bin hand-written-request
//! ```
//!
//! Configuration from the environment, as `send-sms` (`cargo run -p infobip-sandbox` prints it).

use infobip_auth::ClientBuilder;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let infobip = ClientBuilder::from_env()?.connect()?;
    let balance_url = format!("{}/account/1/balance", infobip.base_url());

    // The connection's own `send`: the scheme's header added, one replay after a 401.
    let request = reqwest::Request::new(reqwest::Method::GET, balance_url.parse()?);
    let response = infobip.send(request).await?;
    println!("send: {} {}", response.status(), response.text().await?);

    // One layer on a reqwest-middleware client: requests to the connection's origin are
    // authenticated, requests to any other host pass through without Infobip's credentials.
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(infobip.middleware())
        .build();
    let response = http.get(&balance_url).send().await?;
    println!(
        "middleware: {} {}",
        response.status(),
        response.text().await?
    );
    Ok(())
}
