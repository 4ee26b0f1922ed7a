"""gazette-qa (公报问答): cited question answering over the 阳泉市人民政府公报."""

__version__ = "0.1.0"
