/* TF-IDF rows of character and morpheme n-grams, one document at a time, in C.
 *
 * The numpy versions (_charngrams.py, _morphemes.py) make each step a pass over the whole batch:
 * pack the n-gram codes, look them up (_codetable.py), sort every (document, column) pair to count
 * repeats, weight and normalise. Here each document's n-grams are packed, looked up in the same
 * hash table, counted in a small table of the document's own columns that stays in the L1 cache,
 * weighted and normalised in one go. The values are those of the numpy code (tests/test_compiled.py);
 * a row's columns come in the order first met, not sorted.
 *
 * Every array is passed in from Python (numpy, C-contiguous) through the buffer protocol, the
 * outputs preallocated with room for every n-gram; each function returns the number of entries.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MULTIPLIER 0x9E3779B97F4A7C15ULL /* as _codetable._MULTIPLIER */
#define MAX_N 3
#define BITS 21

typedef struct {
    const uint64_t *keys;
    const int64_t *values;
    unsigned shift;
    uint64_t mask;
} Table;

/* The column of ``code`` in a _codetable.CodeTable, or -1. */
static inline int64_t table_find(const Table *t, uint64_t code) {
    uint64_t slot = (code * MULTIPLIER) >> t->shift;
    for (;;) {
        int64_t value = t->values[slot];
        if (value < 0)
            return -1;
        if (t->keys[slot] == code)
            return value;
        slot = (slot + 1) & t->mask;
    }
}

/* The rows being written, and each document's columns so far: an open-addressing table of
 * (column, entry) marked with the document's stamp, so nothing needs clearing between documents. */
typedef struct {
    int64_t *indptr;
    int32_t *indices;
    double *data;
    Py_ssize_t capacity;
    Py_ssize_t k;
    Py_ssize_t first;
    uint32_t *stamps;
    int32_t *cols;
    Py_ssize_t *entries;
    uint64_t lmask;
    unsigned lshift;
    uint32_t stamp;
    const double *idf;
    Py_ssize_t n_features; /* len(idf): every column must be below it */
    int sublinear;
} Rows;

static int rows_reserve(Rows *r, Py_ssize_t most) {
    /* Room for ``most`` distinct columns in the document about to start: the table at most half full. */
    uint64_t size = 64;
    unsigned bits = 6;
    while (size < (uint64_t)most * 2) {
        size <<= 1;
        bits++;
    }
    if (size - 1 > r->lmask) {
        free(r->stamps);
        free(r->cols);
        free(r->entries);
        r->stamps = calloc(size, sizeof(uint32_t));
        r->cols = malloc(size * sizeof(int32_t));
        r->entries = malloc(size * sizeof(Py_ssize_t));
        if (!r->stamps || !r->cols || !r->entries) {
            PyErr_NoMemory();
            return -1;
        }
        r->lmask = size - 1;
        r->lshift = 64 - bits;
        r->stamp = 0;
    }
    return 0;
}

static inline int rows_add(Rows *r, int64_t column) {
    if (column < 0 || column >= r->n_features) {
        PyErr_SetString(PyExc_ValueError, "a column is outside idf");
        return -1;
    }
    uint64_t slot = ((uint64_t)column * MULTIPLIER) >> r->lshift;
    for (;;) {
        if (r->stamps[slot] != r->stamp) {
            if (r->k >= r->capacity) {
                PyErr_SetString(PyExc_ValueError, "output arrays too small");
                return -1;
            }
            r->stamps[slot] = r->stamp;
            r->cols[slot] = (int32_t)column;
            r->entries[slot] = r->k;
            r->indices[r->k] = (int32_t)column;
            r->data[r->k] = 1.0;
            r->k++;
            return 0;
        }
        if (r->cols[slot] == column) {
            r->data[r->entries[slot]] += 1.0;
            return 0;
        }
        slot = (slot + 1) & r->lmask;
    }
}

static int rows_begin(Rows *r, Py_ssize_t most) {
    if (rows_reserve(r, most) < 0)
        return -1;
    r->stamp++;
    if (r->stamp == 0) { /* wrapped around: clear the marks once */
        memset(r->stamps, 0, (r->lmask + 1) * sizeof(uint32_t));
        r->stamp = 1;
    }
    r->first = r->k;
    return 0;
}

/* Counts → (1 + log) tf × idf, the row scaled to unit length; as _tfidf.tfidf_matrix. */
static void rows_end(Rows *r, Py_ssize_t doc) {
    double squares = 0.0;
    for (Py_ssize_t i = r->first; i < r->k; i++) {
        double tf = r->data[i];
        if (r->sublinear && tf != 1.0)  /* 1 + log(1) is 1: most n-grams of a headline occur once */
            tf = log(tf) + 1.0;
        double value = tf * r->idf[r->indices[i]];
        r->data[i] = value;
        squares += value * value;
    }
    if (r->k > r->first) {
        double norm = sqrt(squares);
        for (Py_ssize_t i = r->first; i < r->k; i++)
            r->data[i] /= norm;
    }
    r->indptr[doc + 1] = r->k;
}

static void rows_free(Rows *r) {
    free(r->stamps);
    free(r->cols);
    free(r->entries);
}

/* -- arguments ---------------------------------------------------------------------------------- */
typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static int get_buffer(PyObject *obj, Buffer *b, Py_ssize_t itemsize, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, &b->view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    b->held = 1;
    if (b->view.len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes is not a whole number of %zd-byte items", name, b->view.len, itemsize);
        return -1;
    }
    return 0;
}

static Py_ssize_t count(const Buffer *b, Py_ssize_t itemsize) { return b->view.len / itemsize; }

static void release(Buffer *buffers, int n) {
    for (int i = 0; i < n; i++)
        if (buffers[i].held)
            PyBuffer_Release(&buffers[i].view);
}

/* keys (uint64), values (int64), shift, idf (float64), outputs indptr (int64), indices (int32), data (float64) */
enum { KEYS, VALUES, IDF, INDPTR, INDICES, DATA, INPUT, STARTS, EXTRA_ROWS, EXTRA_COLS, N_BUFFERS };

/* One call's arguments and state; ``finish`` releases them and returns the entry count (or NULL). */
typedef struct {
    PyObject *objs[N_BUFFERS];
    Buffer b[N_BUFFERS];
    int low, high, sublinear;
    unsigned shift;
    Rows rows;
    Table table;
} Call;

static PyObject *finish(Call *c, int ok) {
    PyObject *result = ok ? PyLong_FromSsize_t(c->rows.k) : NULL;
    rows_free(&c->rows);
    release(c->b, N_BUFFERS);
    return result;
}

/* The buffers every kernel takes, checked: ``input`` (items of ``input_size`` bytes), ``starts``
 * (a document's first item; one more entry for the end), the table, idf and the outputs. */
static Py_ssize_t setup(Call *c, Py_ssize_t input_size, const char *input_name) {
    static const Py_ssize_t sizes[] = {8, 8, 8, 8, 4, 8};
    static const int writable[] = {0, 0, 0, 1, 1, 1};
    static const char *names[] = {"keys", "values", "idf", "indptr", "indices", "data"};
    Buffer *b = c->b;
    if (c->low < 1 || c->high > MAX_N || c->low > c->high) {
        PyErr_SetString(PyExc_ValueError, "n-grams must lie within 1..3");
        return -1;
    }
    if (get_buffer(c->objs[INPUT], &b[INPUT], input_size, 0, input_name) < 0 ||
        get_buffer(c->objs[STARTS], &b[STARTS], 8, 0, "starts") < 0)
        return -1;
    for (int i = 0; i <= DATA; i++)
        if (get_buffer(c->objs[i], &b[i], sizes[i], writable[i], names[i]) < 0)
            return -1;
    Py_ssize_t n_docs = count(&b[STARTS], 8) - 1;
    const int64_t *starts = b[STARTS].view.buf;
    if (n_docs < 0) {
        PyErr_SetString(PyExc_ValueError, "starts needs at least one entry");
        return -1;
    }
    for (Py_ssize_t d = 0; d < n_docs; d++)
        if (starts[d] < 0 || starts[d] > starts[d + 1] || starts[d + 1] > count(&b[INPUT], input_size)) {
            PyErr_SetString(PyExc_ValueError, "starts must rise from 0 to at most the input's length");
            return -1;
        }
    Py_ssize_t slots = count(&b[KEYS], 8);
    if (slots == 0 || (slots & (slots - 1)) != 0 || count(&b[VALUES], 8) != slots || c->shift >= 64 ||
        ((uint64_t)1 << (64 - c->shift)) != (uint64_t)slots) {
        PyErr_SetString(PyExc_ValueError, "keys and values must form a table of 2^(64 - shift) slots");
        return -1;
    }
    if (count(&b[INDPTR], 8) != n_docs + 1 || count(&b[DATA], 8) != count(&b[INDICES], 4)) {
        PyErr_SetString(PyExc_ValueError, "indptr needs a slot per document and one more; indices and data the same length");
        return -1;
    }
    c->table.keys = b[KEYS].view.buf;
    c->table.values = b[VALUES].view.buf;
    c->table.shift = c->shift;
    c->table.mask = (uint64_t)slots - 1;
    Rows *rows = &c->rows;
    rows->indptr = b[INDPTR].view.buf;
    rows->indices = b[INDICES].view.buf;
    rows->data = b[DATA].view.buf;
    rows->capacity = count(&b[INDICES], 4);
    rows->idf = b[IDF].view.buf;
    rows->n_features = count(&b[IDF], 8);
    rows->sublinear = c->sublinear;
    rows->indptr[0] = 0;
    return n_docs;
}

/* Unicode whitespace as str.split() sees it (str.isspace), and NUL, which _encode turns into a space. */
static inline int is_space(uint32_t c) {
    if (c <= 0x20)
        return c == 0x20 || c == 0 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    if (c < 0x85)
        return 0;
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

static PyObject *char_rows(PyObject *self, PyObject *args) {
    Call c;
    memset(&c, 0, sizeof(c));
    PyObject **objs = c.objs;
    Buffer *b = c.b;
    if (!PyArg_ParseTuple(args, "OOiiOOIOpOOO:char_rows", &objs[INPUT], &objs[STARTS], &c.low, &c.high, &objs[KEYS],
                          &objs[VALUES], &c.shift, &objs[IDF], &c.sublinear, &objs[INDPTR], &objs[INDICES], &objs[DATA]))
        return NULL;
    Py_ssize_t n_docs = setup(&c, 4, "code points");
    if (n_docs < 0)
        return finish(&c, 0);
    int low = c.low, high = c.high;
    const uint32_t *cps = b[INPUT].view.buf;
    const int64_t *starts = b[STARTS].view.buf;
    int spans = high - low + 1;
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        Py_ssize_t i = starts[d], end = starts[d + 1];
        /* at most (characters + 2 per word) n-grams of each length, and a word has a character */
        if (rows_begin(&c.rows, (Py_ssize_t)spans * 3 * (end - i)) < 0)
            return finish(&c, 0);
        while (i < end) {
            if (is_space(cps[i])) {
                i++;
                continue;
            }
            Py_ssize_t j = i;
            while (j < end && !is_space(cps[j]))
                j++;
            /* the word cps[i:j] padded with a space on each side: length j - i + 2 */
            Py_ssize_t padded = j - i + 2;
            for (int n = low; n <= high; n++) {
                for (Py_ssize_t s = 0; s + n <= padded; s++) {
                    uint64_t code = 0;
                    for (int t = 0; t < n; t++) {
                        Py_ssize_t p = s + t;
                        uint64_t c = (p == 0 || p == padded - 1) ? 0x20 : cps[i + p - 1];
                        code = (code << BITS) | c;
                    }
                    int64_t column = table_find(&c.table, code);
                    if (column >= 0 && rows_add(&c.rows, column) < 0)
                        return finish(&c, 0);
                }
            }
            i = j;
        }
        rows_end(&c.rows, d);
    }
    return finish(&c, 1);
}

static PyObject *morph_rows(PyObject *self, PyObject *args) {
    Call c;
    memset(&c, 0, sizeof(c));
    PyObject **objs = c.objs;
    Buffer *b = c.b;
    if (!PyArg_ParseTuple(args, "OOiiOOOOIOpOOO:morph_rows", &objs[INPUT], &objs[STARTS], &c.low, &c.high,
                          &objs[EXTRA_ROWS], &objs[EXTRA_COLS], &objs[KEYS], &objs[VALUES], &c.shift, &objs[IDF],
                          &c.sublinear, &objs[INDPTR], &objs[INDICES], &objs[DATA]))
        return NULL;
    Py_ssize_t n_docs = setup(&c, 8, "ids");
    if (n_docs < 0)
        return finish(&c, 0);
    if (get_buffer(objs[EXTRA_ROWS], &b[EXTRA_ROWS], 8, 0, "extra rows") < 0 ||
        get_buffer(objs[EXTRA_COLS], &b[EXTRA_COLS], 8, 0, "extra columns") < 0)
        return finish(&c, 0);
    Py_ssize_t n_extra = count(&b[EXTRA_ROWS], 8);
    if (count(&b[EXTRA_COLS], 8) != n_extra) {
        PyErr_SetString(PyExc_ValueError, "extra rows and columns must have the same length");
        return finish(&c, 0);
    }
    int low = c.low, high = c.high;
    const int64_t *ids = b[INPUT].view.buf;
    const int64_t *starts = b[STARTS].view.buf;
    const int64_t *extra_rows = b[EXTRA_ROWS].view.buf;
    const int64_t *extra_cols = b[EXTRA_COLS].view.buf;
    Py_ssize_t e = 0;
    int spans = high - low + 1;
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        Py_ssize_t begin = starts[d], end = starts[d + 1];
        Py_ssize_t extras = e;
        while (extras < n_extra && extra_rows[extras] == d)
            extras++;
        if (e < n_extra && extra_rows[e] < d) {
            PyErr_SetString(PyExc_ValueError, "extra rows must be sorted and within the documents");
            return finish(&c, 0);
        }
        if (rows_begin(&c.rows, (Py_ssize_t)spans * (end - begin) + (extras - e)) < 0)
            return finish(&c, 0);
        for (int n = low; n <= high; n++) {
            for (Py_ssize_t s = begin; s + n <= end; s++) {
                uint64_t code = 0;
                int known = 1;
                for (int t = 0; t < n; t++) {
                    int64_t id = ids[s + t];
                    if (id <= 0) { /* a morpheme no vocabulary entry is made of */
                        known = 0;
                        break;
                    }
                    code = (code << BITS) | (uint64_t)id;
                }
                if (!known)
                    continue;
                int64_t column = table_find(&c.table, code);
                if (column >= 0 && rows_add(&c.rows, column) < 0)
                    return finish(&c, 0);
            }
        }
        for (; e < extras; e++)
            if (rows_add(&c.rows, extra_cols[e]) < 0)
                return finish(&c, 0);
        rows_end(&c.rows, d);
    }
    if (e != n_extra) {
        PyErr_SetString(PyExc_ValueError, "extra rows must be sorted and within the documents");
        return finish(&c, 0);
    }
    return finish(&c, 1);
}

static PyMethodDef methods[] = {
    {"char_rows", char_rows, METH_VARARGS,
     "char_rows(code_points, starts, low, high, keys, values, shift, idf, sublinear, indptr, indices, data) -> nnz"},
    {"morph_rows", morph_rows, METH_VARARGS,
     "morph_rows(ids, starts, low, high, extra_rows, extra_cols, keys, values, shift, idf, sublinear, indptr, indices, "
     "data) -> nnz"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ngrams", "TF-IDF rows of n-grams in C.", -1, methods};

PyMODINIT_FUNC PyInit__ngrams(void) { return PyModule_Create(&module); }
