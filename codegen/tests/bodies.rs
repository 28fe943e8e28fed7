//! The body kinds codegen writes beside progenitor, on small synthetic descriptions: the
//! multipart form and builder, successes that differ, downloads, raw request bodies, and the
//! rules a multipart body must follow.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

const HEAD: &str = r#"
openapi: 3.0.3
info: {title: Bodies, version: '1'}
components:
  securitySchemes:
    Basic: {type: http, scheme: basic}
  schemas:
    Outcome:
      type: object
      required: [id]
      properties:
        id: {type: string}
    ApiError:
      type: object
      properties:
        errorCode: {type: string}
  responses:
    Error:
      description: ''
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ApiError'}
"#;

fn spec(paths: &str) -> String {
    format!("{HEAD}paths:\n{paths}")
}

fn client(paths: &str) -> String {
    let output = codegen::render_product("bodies", &spec(paths)).unwrap();
    output.files[0].contents.clone()
}

const UPLOAD: &str = r#"
  /media/{channel}:
    post:
      operationId: upload-media
      security: [{Basic: []}]
      parameters:
        - {name: channel, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, caption]
              properties:
                file: {type: string, format: binary}
                extra: {type: array, items: {type: string, format: binary}}
                caption: {type: string}
                width: {type: integer, format: int32}
                public: {type: boolean}
                placeholders: {type: object, additionalProperties: {type: string}}
      responses:
        '200':
          description: ''
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Outcome'}
        4XX: {$ref: '#/components/responses/Error'}
"#;

#[test]
fn a_multipart_upload_becomes_a_typed_form_and_a_builder_through_the_seam() {
    let client = client(UPLOAD);
    let start = client
        .find("pub mod multipart")
        .expect("a multipart module");
    insta::assert_snapshot!("multipart_module", &client[start..]);
}

#[test]
fn successes_that_differ_come_back_as_byte_streams() {
    let client = client(
        r#"
  /numbers:
    post:
      operationId: purchase-number
      security: [{Basic: []}]
      responses:
        '200':
          description: ''
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Outcome'}
        '201': {description: ''}
        4XX: {$ref: '#/components/responses/Error'}
"#,
    );
    let send = client.find("impl<'a> PurchaseNumber<'a>").unwrap();
    let send = &client[send..];
    assert!(
        send.contains("Result<ResponseValue<ByteStream>, Error>"),
        "{send}"
    );
    assert!(
        send.contains("200u16 => Ok(ResponseValue::stream(response))"),
        "{send}"
    );
    assert!(
        send.contains("201u16 => Ok(ResponseValue::stream(response))"),
        "{send}"
    );
}

/// HTTP forbids a body in a 204, so neither Infobip nor the sandbox sends one: an operation
/// whose 204 declares one answers `()`, not a type no empty body decodes into.
#[test]
fn a_204_declared_with_a_body_answers_nothing() {
    let client = client(
        r#"
  /domains/{name}:
    delete:
      operationId: delete-domain
      security: [{Basic: []}]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      responses:
        '204':
          description: ''
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Outcome'}
        4XX: {$ref: '#/components/responses/Error'}
"#,
    );
    let send = client.find("impl<'a> DeleteDomain<'a>").unwrap();
    let send = &client[send..];
    assert!(send.contains("Result<ResponseValue<()>, Error>"), "{send}");
    assert!(
        send.contains("204u16 => Ok(ResponseValue::empty(response))"),
        "{send}"
    );
}

#[test]
fn downloads_and_raw_request_bodies_are_generated_by_progenitor() {
    let client = client(
        r#"
  /files/{id}:
    get:
      operationId: download-file
      security: [{Basic: []}]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ''
          content:
            application/pdf:
              schema: {type: string, format: binary}
        4XX: {$ref: '#/components/responses/Error'}
    put:
      operationId: replace-file
      security: [{Basic: []}]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        '204': {description: ''}
        4XX: {$ref: '#/components/responses/Error'}
"#,
    );
    assert!(
        client.contains("Result<ResponseValue<ByteStream>, Error>"),
        "{client}"
    );
    assert!(client.contains("\"application/octet-stream\""), "{client}");
    assert!(client.contains(".body(body)"), "{client}");
}

fn violations(paths: &str) -> String {
    codegen::parse(&spec(paths))
        .and_then(|spec| codegen::validate(&spec))
        .unwrap_err()
        .to_string()
}

#[test]
fn bodies_that_cannot_be_generated_are_refused_naming_the_rule() {
    let upload = |properties: &str, extra: &str| {
        format!(
            r#"
  /up:
    post:
      operationId: up
      security: [{{Basic: []}}]
      {extra}
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties: {properties}
      responses:
        '200':
          description: ''
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Outcome'}}
"#
        )
    };
    let errors = [
        violations(&upload(
            "{grid: {type: array, items: {type: array, items: {type: string}}}}",
            "",
        )),
        violations(&upload("{}", "")),
        violations(&upload(
            "{file: {type: string, format: binary}}",
            "parameters: [{name: dryRun, in: query, schema: {type: boolean}}]",
        )),
        violations(&UPLOAD.replace(
            "schema: {$ref: '#/components/schemas/Outcome'}",
            "schema: {type: object}",
        )),
        violations(
            r#"
  /xml:
    post:
      operationId: send-xml
      security: [{Basic: []}]
      requestBody:
        content:
          application/xml:
            schema: {type: string}
      responses:
        '204': {description: ''}
"#,
        ),
        violations(
            r#"
  /any:
    get:
      operationId: get-any
      security: [{Basic: []}]
      responses:
        '200':
          description: ''
          content:
            '*/*':
              schema: {type: string}
"#,
        ),
    ];
    insta::assert_snapshot!("refused_bodies", errors.join("\n"));
}
