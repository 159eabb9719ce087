//! Every row of OpenAPI 3.0.3's "Style Examples" table (Parameter Object),
//! for the parameter `color` as empty, `"blue"`, `["blue","black","brown"]`
//! and `{"R":100,"G":200,"B":150}`. Query text is percent-encoded where
//! RFC 3986 requires it (`[`, `]`, `|`), as OpenAPI 3.0.4's table writes
//! it; 3.0.3's pipeDelimited object row lacks its last pair (`B|150`).

use super::*;

#[derive(serde::Serialize)]
#[allow(non_snake_case)]
struct Rgb {
    R: u8,
    G: u8,
    B: u8,
}

const RGB: Rgb = Rgb {
    R: 100,
    G: 200,
    B: 150,
};
const ARRAY: [&str; 3] = ["blue", "black", "brown"];

fn query(value: &(impl Serialize + ?Sized), style: Style, explode: bool) -> String {
    let url = Query::new("/a".into())
        .param("color", value, style, explode)
        .finish()
        .unwrap();
    url.strip_prefix("/a")
        .unwrap()
        .trim_start_matches('?')
        .to_string()
}

fn path_of(value: &(impl Serialize + ?Sized), style: Style, explode: bool) -> String {
    path("color", value, style, explode).unwrap()
}

/// style, explode, empty, string, array, object (`None` for the table's n/a).
type Row = (
    Style,
    bool,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
);

#[test]
fn path_styles_write_the_table() {
    let rows: [Row; 6] = [
        (
            Style::Matrix,
            false,
            Some(";color"),
            Some(";color=blue"),
            ";color=blue,black,brown",
            ";color=R,100,G,200,B,150",
        ),
        (
            Style::Matrix,
            true,
            Some(";color"),
            Some(";color=blue"),
            ";color=blue;color=black;color=brown",
            ";R=100;G=200;B=150",
        ),
        (
            Style::Label,
            false,
            Some("."),
            Some(".blue"),
            ".blue.black.brown",
            ".R.100.G.200.B.150",
        ),
        (
            Style::Label,
            true,
            Some("."),
            Some(".blue"),
            ".blue.black.brown",
            ".R=100.G=200.B=150",
        ),
        (
            Style::Simple,
            false,
            None,
            Some("blue"),
            "blue,black,brown",
            "R,100,G,200,B,150",
        ),
        (
            Style::Simple,
            true,
            None,
            Some("blue"),
            "blue,black,brown",
            "R=100,G=200,B=150",
        ),
    ];
    for (style, explode, empty, string, array, object) in rows {
        let at = format!("{style:?} explode={explode}");
        if let Some(empty) = empty {
            // Label's empty value is `.`, a dot segment: written, then refused.
            assert_eq!(
                path_text("color", &to_json("c", "").unwrap(), style, explode),
                empty,
                "{at}"
            );
        }
        assert_eq!(path_of("blue", style, explode), string.unwrap(), "{at}");
        assert_eq!(path_of(&ARRAY, style, explode), array, "{at}");
        assert_eq!(path_of(&RGB, style, explode), object, "{at}");
    }
    assert_eq!(path_of("", Style::Matrix, false), ";color");
    assert!(path("color", "", Style::Label, false).is_err());
    assert!(path("color", "", Style::Simple, false).is_err());
}

#[test]
fn query_styles_write_the_table() {
    let rows: [Row; 5] = [
        (
            Style::Form,
            false,
            Some("color="),
            Some("color=blue"),
            "color=blue,black,brown",
            "color=R,100,G,200,B,150",
        ),
        (
            Style::Form,
            true,
            Some("color="),
            Some("color=blue"),
            "color=blue&color=black&color=brown",
            "R=100&G=200&B=150",
        ),
        (
            Style::SpaceDelimited,
            false,
            None,
            None,
            "color=blue%20black%20brown",
            "color=R%20100%20G%20200%20B%20150",
        ),
        (
            Style::PipeDelimited,
            false,
            None,
            None,
            "color=blue%7Cblack%7Cbrown",
            "color=R%7C100%7CG%7C200%7CB%7C150",
        ),
        (
            Style::DeepObject,
            true,
            None,
            None,
            "",
            "color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150",
        ),
    ];
    for (style, explode, empty, string, array, object) in rows {
        let at = format!("{style:?} explode={explode}");
        if let Some(empty) = empty {
            assert_eq!(query("", style, explode), empty, "{at}");
        }
        if let Some(string) = string {
            assert_eq!(query("blue", style, explode), string, "{at}");
        }
        if !array.is_empty() {
            assert_eq!(query(&ARRAY, style, explode), array, "{at}");
        }
        assert_eq!(query(&RGB, style, explode), object, "{at}");
    }
}

#[test]
fn query_values_are_encoded_and_delimiters_are_not() {
    assert_eq!(
        query(&["a,b", "c&d"], Style::Form, false),
        "color=a%2Cb,c%26d"
    );
    assert_eq!(
        query(&["a b", "é"], Style::Form, true),
        "color=a%20b&color=%C3%A9"
    );
    assert_eq!(query(&None::<u8>, Style::DeepObject, true), "");
    assert_eq!(query(&2.0_f64, Style::Form, true), "color=2");
    assert_eq!(query(&0.5_f64, Style::Form, true), "color=0.5");
    // Nesting where OpenAPI defines none: brackets in deepObject, JSON elsewhere.
    let nested = serde_json::json!({"a": {"b": [1, {"c": true}]}, "n": null});
    assert_eq!(
        query(&nested, Style::DeepObject, true),
        "color%5Ba%5D%5Bb%5D%5B0%5D=1&color%5Ba%5D%5Bb%5D%5B1%5D%5Bc%5D=true"
    );
    assert_eq!(
        query(&serde_json::json!({"a": [1, 2]}), Style::Form, true),
        "a=%5B1%2C2%5D"
    );
    let url = Query::new("/a?k=1".into())
        .param("x", "y", Style::Form, true)
        .finish()
        .unwrap();
    assert_eq!(url, "/a?k=1&x=y");
}

#[test]
fn a_path_value_stays_one_segment() {
    assert_eq!(path_of("../x", Style::Matrix, false), ";color=..%2Fx");
    assert_eq!(
        path_of(&["a;b", "c=d"], Style::Matrix, true),
        ";color=a%3Bb;color=c%3Dd"
    );
    for dot in [".", ".."] {
        assert!(path("color", dot, Style::Simple, false).is_err());
    }
    // `.` then `.`: the label of `.` is `..`.
    let e = path("color", ".", Style::Label, false).unwrap_err();
    assert!(e.to_string().starts_with("parameter `color`: "), "{e}");
}

#[test]
fn headers_write_the_simple_rows() {
    let text = |v: &dyn erased::Erased, explode| v.header(explode);
    assert_eq!(text(&"blue", false), "blue");
    assert_eq!(text(&ARRAY, false), "blue,black,brown");
    assert_eq!(text(&ARRAY, true), "blue,black,brown");
    assert_eq!(text(&RGB, false), "R,100,G,200,B,150");
    assert_eq!(text(&RGB, true), "R=100,G=200,B=150");
    assert!(header("X-Color", "a\nb", false).is_err());
}

#[test]
fn cookies_write_the_form_rows() {
    let text = |v: &dyn erased::Erased, explode| v.cookie(explode);
    assert_eq!(text(&"", false), "color=");
    assert_eq!(text(&"blue", true), "color=blue");
    assert_eq!(text(&ARRAY, false), "color=blue,black,brown");
    assert_eq!(text(&ARRAY, true), "color=blue; color=black; color=brown");
    assert_eq!(text(&RGB, false), "color=R,100,G,200,B,150");
    assert_eq!(text(&RGB, true), "R=100; G=200; B=150");
    assert_eq!(cookie("color", &None::<u8>, true).unwrap(), None);
    for bad in ["a b", "a,b", "a;b", "\"a\""] {
        assert!(cookie("color", bad, false).is_err(), "{bad:?}");
    }
    assert!(cookie("a=b", "x", false).is_err());
}

/// The serializers' values behind one trait object, for the tables above.
mod erased {
    use super::*;

    pub trait Erased {
        fn header(&self, explode: bool) -> String;
        fn cookie(&self, explode: bool) -> String;
    }

    impl<T: Serialize + ?Sized> Erased for T {
        fn header(&self, explode: bool) -> String {
            let value = super::header("X-Color", self, explode).unwrap().unwrap();
            value.to_str().unwrap().to_string()
        }
        fn cookie(&self, explode: bool) -> String {
            super::cookie("color", self, explode).unwrap().unwrap()
        }
    }
}
