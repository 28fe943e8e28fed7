//! String constraints (`pattern`, `minLength`, `maxLength`) left to Infobip.
//!
//! Given a constrained string, typify writes a newtype that validates on construction and on
//! deserialisation: a phone number becomes `SmsToDestinationTo`, built with `"...".parse()?`.
//! Across the catalogue that is 2,700 newtypes (a quarter of the generated code), a request
//! that needs `?` at every level to build, and, worse, answers that fail to decode when
//! Infobip sends a value its description did not foresee (a longer id). The descriptions'
//! limits are documentation of what Infobip accepts, and Infobip checks them itself, answering
//! with a violation naming the field; so the schemas progenitor reads have them removed, and
//! these fields are plain `String`s. Enumerations and formats (`date-time`, `uuid`, secrets)
//! are kept.

use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody,
    Response, Schema, SchemaKind, Type,
};

/// Removes the string constraints of every schema in `spec`: components, parameters, bodies
/// and answers.
pub(crate) fn loosen(spec: &mut OpenAPI) {
    if let Some(components) = &mut spec.components {
        for schema in components.schemas.values_mut() {
            reference_or(schema);
        }
        for parameter in components.parameters.values_mut() {
            if let ReferenceOr::Item(parameter) = parameter {
                parameter_schema(parameter);
            }
        }
        for body in components.request_bodies.values_mut() {
            if let ReferenceOr::Item(body) = body {
                request_body(body);
            }
        }
        for answer in components.responses.values_mut() {
            if let ReferenceOr::Item(answer) = answer {
                response(answer);
            }
        }
    }
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for parameter in &mut item.parameters {
            if let ReferenceOr::Item(parameter) = parameter {
                parameter_schema(parameter);
            }
        }
        for operation in crate::spec::operations_mut(item) {
            for parameter in &mut operation.parameters {
                if let ReferenceOr::Item(parameter) = parameter {
                    parameter_schema(parameter);
                }
            }
            if let Some(ReferenceOr::Item(body)) = &mut operation.request_body {
                request_body(body);
            }
            for answer in operation.responses.responses.values_mut() {
                if let ReferenceOr::Item(answer) = answer {
                    response(answer);
                }
            }
            if let Some(ReferenceOr::Item(answer)) = &mut operation.responses.default {
                response(answer);
            }
        }
    }
}

fn parameter_schema(parameter: &mut Parameter) {
    let data = match parameter {
        Parameter::Query { parameter_data, .. }
        | Parameter::Header { parameter_data, .. }
        | Parameter::Path { parameter_data, .. }
        | Parameter::Cookie { parameter_data, .. } => parameter_data,
    };
    match &mut data.format {
        ParameterSchemaOrContent::Schema(schema) => reference_or(schema),
        ParameterSchemaOrContent::Content(content) => {
            for media in content.values_mut() {
                if let Some(schema) = &mut media.schema {
                    reference_or(schema);
                }
            }
        }
    }
}

fn request_body(body: &mut RequestBody) {
    for media in body.content.values_mut() {
        if let Some(schema) = &mut media.schema {
            reference_or(schema);
        }
    }
}

fn response(answer: &mut Response) {
    for media in answer.content.values_mut() {
        if let Some(schema) = &mut media.schema {
            reference_or(schema);
        }
    }
}

fn reference_or(schema: &mut ReferenceOr<Schema>) {
    if let ReferenceOr::Item(schema) = schema {
        loosen_schema(schema);
    }
}

fn boxed(schema: &mut ReferenceOr<Box<Schema>>) {
    if let ReferenceOr::Item(schema) = schema {
        loosen_schema(schema);
    }
}

fn additional(properties: &mut Option<AdditionalProperties>) {
    if let Some(AdditionalProperties::Schema(schema)) = properties {
        reference_or(schema);
    }
}

fn loosen_schema(schema: &mut Schema) {
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if string.enumeration.is_empty() {
                string.pattern = None;
                string.min_length = None;
                string.max_length = None;
            }
        }
        SchemaKind::Type(Type::Object(object)) => {
            object.properties.values_mut().for_each(boxed);
            additional(&mut object.additional_properties);
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &mut array.items {
                boxed(items);
            }
        }
        SchemaKind::OneOf { one_of: all }
        | SchemaKind::AllOf { all_of: all }
        | SchemaKind::AnyOf { any_of: all } => all.iter_mut().for_each(reference_or),
        SchemaKind::Not { not } => reference_or(not),
        SchemaKind::Any(any) => {
            if any.enumeration.is_empty() {
                any.pattern = None;
                any.min_length = None;
                any.max_length = None;
            }
            any.properties.values_mut().for_each(boxed);
            additional(&mut any.additional_properties);
            if let Some(items) = &mut any.items {
                boxed(items);
            }
            any.one_of.iter_mut().for_each(reference_or);
            any.all_of.iter_mut().for_each(reference_or);
            any.any_of.iter_mut().for_each(reference_or);
            if let Some(not) = &mut any.not {
                reference_or(not);
            }
        }
        SchemaKind::Type(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_go_and_enumerations_stay() {
        let mut spec: OpenAPI = serde_yaml::from_str(
            r#"
openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /x/{id}:
    get:
      operationId: get-x
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, maxLength: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  to: {type: string, pattern: "^[0-9]+$", minLength: 1}
components:
  schemas:
    A:
      type: object
      properties:
        items: {type: array, items: {type: string, maxLength: 3}}
        kind: {type: string, enum: [a, b], maxLength: 1}
"#,
        )
        .unwrap();
        loosen(&mut spec);
        let text = serde_json::to_string(&spec).unwrap();
        assert!(!text.contains("maxLength\":10"), "{text}");
        assert!(!text.contains("pattern"), "{text}");
        assert!(!text.contains("minLength"), "{text}");
        assert!(!text.contains("maxLength\":3"), "{text}");
        assert!(
            text.contains("maxLength\":1"),
            "enumerations keep theirs: {text}"
        );
    }
}
