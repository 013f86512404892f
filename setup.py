"""Build kg's optional compiled module, ``kg.nlp._speedups``.

All metadata lives in pyproject.toml; this file only adds the extension.
The module reads spaCy's token structs, so it compiles against the spaCy
headers of the build environment and records that spaCy release. kg runs
its pure-Python code instead when the module is missing (no C++ compiler,
``optional=True`` lets the install go on) or was built for another spaCy.
"""

import sys

from setuptools import Extension, setup


def speedup_extensions() -> list[Extension]:
    try:
        import numpy
        import spacy
        from Cython.Build import cythonize
    except ImportError as error:
        # pyproject.toml lists these as build requirements, so this happens
        # only in a build without isolation that lacks one of them.
        print(f"kg: not compiling kg.nlp._speedups ({error}); kg will run its pure-Python token loops", file=sys.stderr)
        return []

    extension = Extension(
        "kg.nlp._speedups",
        ["kg/nlp/_speedups.pyx"],
        include_dirs=[numpy.get_include()],
        # spaCy's headers declare C++ containers (libcpp), so the module is C++.
        language="c++",
        define_macros=[("KG_SPACY_VERSION", f'"{spacy.about.__version__}"')],
        optional=True,
    )
    return cythonize([extension], language_level=3)


setup(ext_modules=speedup_extensions())
