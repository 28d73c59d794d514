"""onemap.sample: a realistic, deterministic sample county (三调 base, 三条控制线, plan, monitoring).

>>> from onemap.sample import generate_county  # doctest: +SKIP
>>> generate_county(Path("demo"), parcels=20_000, seed=1)  # doctest: +SKIP
"""

from onemap.sample.county import CountyData, SampleCounty, build_county, generate_county

__all__ = ["CountyData", "SampleCounty", "build_county", "generate_county"]
