def test_the_api_schema_documents_the_503_for_every_operation():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    operations = {f"{method.upper()} {path}": op for path, item in paths.items() for method, op in item.items()}

    assert len(operations) > 30
    assert [label for label, op in operations.items() if "503" not in op["responses"]] == []
    assert operations["GET /api/v1/contacts/"]["responses"]["503"]["description"] == (
        "The database is not available right now; retry after the time in the Retry-After header."
    )
