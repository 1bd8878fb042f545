import datetime
import tracemalloc

import openpyxl
import pytest

from contacts.importing.reader import (
    ImportFileError,
    detect_delimiter,
    detect_encoding,
    guess_mapping,
    open_table,
)

MB = 1024 * 1024


def _write(tmp_path, content: bytes, name: str = "contacts.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _open(path: str, filename: str = "contacts.csv", max_bytes: int = 50 * MB):
    return open_table(path, filename=filename, max_bytes=max_bytes)


def _read(tmp_path, content: bytes, name: str = "contacts.csv"):
    table = _open(_write(tmp_path, content, name), filename=name)
    return table, list(table.rows())


# Encodings


def test_it_reads_utf8(tmp_path):
    table, rows = _read(tmp_path, "téléphone,prénom\n0612345678,Zoé\n".encode())
    assert table.encoding == "utf-8"
    assert table.headers == ["téléphone", "prénom"]
    assert rows == [(2, ["0612345678", "Zoé"])]


def test_it_reads_utf8_with_bom(tmp_path):
    table, rows = _read(tmp_path, "\ufeffphone,name\n0612345678,Zoé\n".encode())
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["phone", "name"]  # no BOM glued to the first header
    assert rows == [(2, ["0612345678", "Zoé"])]


def test_it_reads_windows_1252(tmp_path):
    content = "phone;prénom;note\n0612345678;Zoé;10 €\n".encode("cp1252")
    table, rows = _read(tmp_path, content)
    assert table.encoding == "cp1252"
    assert table.headers == ["phone", "prénom", "note"]
    assert rows == [(2, ["0612345678", "Zoé", "10 €"])]


def test_it_reads_latin1(tmp_path):
    # A Latin-1 "é" as the very last byte of the file is not a cut UTF-8 character.
    content = "phone,ville\n0612345678,Orléans\n0698765432,Nîmes é".encode("latin-1")
    table, rows = _read(tmp_path, content)
    assert table.encoding == "cp1252"
    assert rows == [(2, ["0612345678", "Orléans"]), (3, ["0698765432", "Nîmes é"])]


def test_detect_encoding_ignores_a_character_cut_by_the_sample():
    sample = "prénom\nZoé €".encode()
    assert detect_encoding(sample[:-1]) == "utf-8"  # "€" is 3 bytes, cut after 2
    assert detect_encoding(sample[:-2]) == "utf-8"
    assert detect_encoding(sample[:-1], complete=True) == "cp1252"
    assert detect_encoding("café".encode("latin-1") + b" x") == "cp1252"


def test_detect_encoding_refuses_utf16_with_a_clear_message():
    with pytest.raises(ImportFileError) as info:
        detect_encoding("phone,name\n".encode("utf-16"))
    assert info.value.code == "binary"
    assert "UTF-8" in info.value.message
    with pytest.raises(ImportFileError) as info:
        detect_encoding("phone,name\n".encode("utf-16-le"))
    assert "UTF-16" in info.value.message


# Delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_detects_the_delimiter(tmp_path, delimiter):
    lines = [["phone", "first name", "last name"], ["0612345678", "Zoé", "Martin"]]
    content = "".join(delimiter.join(line) + "\n" for line in lines).encode()
    table, rows = _read(tmp_path, content)
    assert table.delimiter == delimiter
    assert table.headers == lines[0]
    assert rows == [(2, lines[1])]


def test_detect_delimiter_is_not_fooled_by_commas_inside_cells():
    sample = "nom;ville;note\nDupont, Jean;Paris;a, b\nMartin;Lyon, 3e;c\n"
    assert detect_delimiter(sample) == ";"


def test_detect_delimiter_falls_back_to_comma_for_a_single_column():
    assert detect_delimiter("phone\n0612345678\n0698765432\n") == ","


def test_detect_delimiter_ignores_a_last_line_cut_by_the_sample():
    assert detect_delimiter("a;b;c\n1;2;3\n4;5;6\n7;8,9,10,11,12,13") == ";"


def test_quoted_fields_keep_delimiters_and_newlines_and_line_numbers(tmp_path):
    content = (
        b"phone,name,note\n"
        b'0611111111,"Martin, Zo\xc3\xa9","line one\nline two\nline three"\n'
        b"0622222222,Dupont,plain\n"
        b'0633333333,"Durand","a ""quoted"" word"\n'
    )
    table, rows = _read(tmp_path, content)
    assert table.delimiter == ","
    assert rows == [
        (2, ["0611111111", "Martin, Zoé", "line one\nline two\nline three"]),
        (5, ["0622222222", "Dupont", "plain"]),
        (6, ["0633333333", "Durand", 'a "quoted" word']),
    ]


def test_it_skips_blank_lines_and_strips_cells(tmp_path):
    content = b"\n phone , name \n\n 0611111111 ,  Zoe \n,,\n  \n0622222222,Max\r\n\n"
    table, rows = _read(tmp_path, content)
    assert table.headers == ["phone", "name"]
    assert rows == [(4, ["0611111111", "Zoe"]), (7, ["0622222222", "Max"])]


# Files that cannot be imported


def test_it_refuses_an_empty_file(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, b""))
    assert info.value.code == "empty"


def test_it_refuses_a_file_of_blank_lines(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, b"\xef\xbb\xbf\n\r\n  \n"))
    assert info.value.code == "empty"


def test_it_refuses_a_header_only_file(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, b"phone;first name;last name\n\n\n"))
    assert info.value.code == "header_only"
    assert info.value.message


def test_it_refuses_a_png_renamed_csv(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, png + bytes(range(256)) * 10))
    assert info.value.code == "binary"


def test_it_refuses_a_text_file_with_nul_bytes(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, b"phone,name\n0611111111,\x00\x00Zoe\n"))
    assert info.value.code == "binary"


def test_it_refuses_a_file_over_the_limit(tmp_path):
    path = _write(tmp_path, b"phone\n" + b"0611111111\n" * 200)
    with pytest.raises(ImportFileError) as info:
        _open(path, max_bytes=1000)
    assert info.value.code == "too_big"
    assert "1000\xa0bytes" in info.value.message
    assert _open(path, max_bytes=10_000).headers == ["phone"]


def test_it_refuses_a_csv_renamed_xlsx(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, b"phone\n0611111111\n", "c.xlsx"), filename="c.xlsx")
    assert info.value.code == "not_xlsx"


def test_it_refuses_an_old_xls_file(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    with pytest.raises(ImportFileError) as info:
        _open(_write(tmp_path, ole, "c.csv"))
    assert info.value.code == "not_xlsx"


def test_it_reports_the_line_where_a_file_breaks(tmp_path):
    # Valid UTF-8 in the first 64 kB, then a stray Latin-1 byte.
    content = b"phone,name\n" + b"0611111111,Zoe\n" * 5000 + b"0622222222,Zo\xe9\n"
    table = _open(_write(tmp_path, content))
    assert table.encoding == "utf-8"
    with pytest.raises(ImportFileError) as info:
        list(table.rows())
    assert info.value.code == "unreadable"
    # Text is decoded by chunks of a few kB: the line is a lower bound, close to the fault.
    assert 4000 < info.value.params["line"] <= 5001
    assert str(info.value.params["line"]) in info.value.message


def test_an_unclosed_quote_does_not_swallow_the_whole_file(tmp_path):
    content = b'phone,name\n0600000000,Ann\n0611111111,"Zoe\n' + b"0622222222,Max\n" * 20000
    table = _open(_write(tmp_path, content))
    rows = table.rows()
    assert next(rows) == (2, ["0600000000", "Ann"])
    with pytest.raises(ImportFileError) as info:
        next(rows)
    assert info.value.code == "unreadable"
    assert info.value.params["line"] == 2


# XLSX


def _xlsx(tmp_path, rows, name="contacts.xlsx") -> str:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Other").append(["ignored"])
    path = tmp_path / name
    workbook.save(path)
    return str(path)


def test_it_reads_an_xlsx_in_order(tmp_path):
    path = _xlsx(
        tmp_path,
        [
            ["Téléphone", "Prénom", "Né le", "Points"],
            [33612345678, " Zoé ", datetime.date(1990, 5, 17), 12.5],
            ["06 98 76 54 32", "Max", datetime.datetime(2024, 1, 2, 13, 45), 3],
            [None, None, None, None],
            ["0611111111", None, None, True],
        ],
    )
    table = _open(path, filename="Contacts.XLSX")
    assert table.delimiter is None
    assert table.encoding is None
    assert table.headers == ["Téléphone", "Prénom", "Né le", "Points"]
    assert list(table.rows()) == [
        (2, ["33612345678", "Zoé", "1990-05-17", "12.5"]),
        (3, ["06 98 76 54 32", "Max", "2024-01-02T13:45:00", "3"]),
        (5, ["0611111111", "", "", "TRUE"]),
    ]
    assert len(list(table.rows())) == 3  # rows() can be read again


def test_it_recognises_an_xlsx_by_its_content(tmp_path):
    # Uploads are saved under temporary names: the zip magic decides.
    path = _xlsx(tmp_path, [["phone"], ["0611111111"]], name="upload.tmp")
    table = _open(path, filename="contacts.csv")
    assert table.delimiter is None
    assert list(table.rows()) == [(2, ["0611111111"])]


def test_it_refuses_a_header_only_xlsx(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_xlsx(tmp_path, [["phone", "name"]]), filename="c.xlsx")
    assert info.value.code == "header_only"


def test_it_refuses_an_empty_xlsx(tmp_path):
    with pytest.raises(ImportFileError) as info:
        _open(_xlsx(tmp_path, []), filename="c.xlsx")
    assert info.value.code == "empty"


# Memory


def test_it_reads_a_large_csv_lazily(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("phone;prénom;nom;email\n")
        for i in range(200_000):
            out.write(f"06{i:08d};Zoé {i};Martin;zoe{i}@example.com\n")
    assert path.stat().st_size > 8 * MB

    tracemalloc.start()
    try:
        table = _open(str(path))
        count = 0
        last = None
        for row in table.rows():
            count += 1
            last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 200_000
    assert last == (200_001, ["0600199999", "Zoé 199999", "Martin", "zoe199999@example.com"])
    assert peak < 2 * MB  # the file is over 8 MB; a list of its rows would be far more


# Mapping


def test_guess_mapping_french_headers():
    headers = ["Téléphone", "Prénom", "Nom", "E-mail", "Ville", "Date de naissance"]
    assert guess_mapping(headers) == {
        0: "phone",
        1: "first_name",
        2: "last_name",
        3: "email",
        4: "custom:ville",
        5: "custom:date_de_naissance",
    }


def test_guess_mapping_english_headers():
    headers = ["First Name", "LAST_NAME", "Mobile", "Email address", "Company"]
    assert guess_mapping(headers) == {
        0: "first_name",
        1: "last_name",
        2: "phone",
        3: "email",
        4: "custom:company",
    }


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("mobile", "phone"),
        ("Portable", "phone"),
        ("telephone", "phone"),
        ("Tél.", "phone"),
        ("Numéro", "phone"),
        ("GSM", "phone"),
        ("MSISDN", "phone"),
        ("cell", "phone"),
        ("Téléphone portable", "phone"),
        ("prenom", "first_name"),
        ("firstname", "first_name"),
        ("name", "last_name"),
        ("Surname", "last_name"),
        ("Nom de famille", "last_name"),
        ("lastname", "last_name"),
        ("mail", "email"),
        ("Courriel", "email"),
        ("Adresse e-mail", "email"),
    ],
)
def test_guess_mapping_recognises(header, target):
    assert guess_mapping([header]) == {0: target}


def test_guess_mapping_maps_each_target_once():
    headers = ["Mobile", "Téléphone 2", "Nom", "Name", "Ville", "ville", "", "???"]
    assert guess_mapping(headers) == {
        0: "phone",
        1: "custom:telephone_2",
        2: "last_name",
        3: "custom:name",
        4: "custom:ville",
        5: "custom:ville_2",
    }


def test_guess_mapping_of_no_headers():
    assert guess_mapping([]) == {}
