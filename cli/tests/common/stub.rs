//! A loopback HTTP server that records each request it receives and answers every one the
//! same way: for the commands whose request the sandbox does not show (uploads, array flags,
//! renamed parameters) or whose answer it does not give (downloads).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;

/// One request as it arrived: its request line, headers (lowercase names) and body.
pub struct Arrived {
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Arrived {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The multipart parts: each part's headers (as text) and content.
    pub fn parts(&self) -> Vec<(String, Vec<u8>)> {
        let content_type = self.header("content-type").unwrap_or_default();
        let boundary = content_type.split("boundary=").nth(1).unwrap();
        let delimiter = format!("--{boundary}");
        let body = String::from_utf8_lossy(&self.body).into_owned();
        assert!(
            body.trim_end().ends_with(&format!("{delimiter}--")),
            "{body}"
        );
        body.split(delimiter.as_str())
            .filter(|chunk| !chunk.trim().is_empty() && chunk.trim() != "--")
            .map(|chunk| {
                let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
                let (headers, content) = chunk.split_once("\r\n\r\n").unwrap();
                let content = content.strip_suffix("\r\n").unwrap_or(content);
                (headers.to_owned(), content.as_bytes().to_vec())
            })
            .collect()
    }

    /// The contents of the parts named `name`, in order.
    pub fn named(&self, name: &str) -> Vec<(String, String)> {
        self.parts()
            .into_iter()
            .filter(|(headers, _)| headers.contains(&format!("name=\"{name}\"")))
            .map(|(headers, content)| (headers, String::from_utf8(content).unwrap()))
            .collect()
    }
}

/// A loopback server answering every request with `answer` (200, of `content_type`) and
/// sending what arrived to the returned receiver.
pub fn server(
    content_type: &'static str,
    answer: &'static str,
) -> (String, mpsc::Receiver<Arrived>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse::<usize>().unwrap());
            let chunked = headers
                .iter()
                .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
            let mut body = Vec::new();
            match length {
                None if !chunked => {}
                Some(length) => {
                    body.resize(length, 0);
                    reader.read_exact(&mut body).unwrap();
                }
                // Chunked: the chunk sizes and their ends taken out.
                None => loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).unwrap();
                    let size = usize::from_str_radix(size.trim(), 16).unwrap();
                    let mut chunk = vec![0; size + 2];
                    reader.read_exact(&mut chunk).unwrap();
                    if size == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..size]);
                },
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
            let _ = sender.send(Arrived {
                line: line.trim_end().to_owned(),
                headers,
                body,
            });
        }
    });
    (url, receiver)
}
