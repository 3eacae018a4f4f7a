"""attnlens-jupyter: the prebuilt JupyterLab / Notebook 7 extension of attnlens, as a Python package.

The extension itself is the wheel's data, installed to
<prefix>/share/jupyter/labextensions/@attnlens/labextension with its install.json, where
JupyterLab and Notebook 7 find prebuilt extensions. This module only names the version.
"""

__version__ = "0.1.0"
