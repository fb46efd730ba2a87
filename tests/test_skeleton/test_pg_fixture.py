import pytest

pytestmark = pytest.mark.postgres


def test_real_postgres_answers(pg_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select current_database()")).scalar().startswith("t_")
    engine.dispose()
