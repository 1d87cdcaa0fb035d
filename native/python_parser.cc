// N-API addon that parses Python with tree-sitter's C runtime and the tree-sitter-python grammar
// (the same grammar as the wasm build web-tree-sitter loads) and copies each tree into the flat
// arrays of src/python/parse/flat-tree.ts in the same walk, so a parser thread gets a FlatTree
// from one call per file instead of a wasm parse followed by a cursor walk through wasm calls.
// The JavaScript side is src/python/parse/native-parser.ts.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tree_sitter/api.h"

extern "C" const TSLanguage* tree_sitter_python(void);

namespace {

// One parser per thread (each call is synchronous), freed when the thread ends: a long-running
// process starts new parser threads for every analysis.
struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};

TSParser* the_parser() {
  thread_local std::unique_ptr<TSParser, ParserDeleter> parser;
  if (!parser) {
    parser.reset(ts_parser_new());
    ts_parser_set_language(parser.get(), tree_sitter_python());
  }
  return parser.get();
}

// The flat arrays of one tree, in FlatTree's order (flat-tree.ts `views`): eight int32 arrays,
// then two uint16 arrays.
struct FlatArrays {
  std::vector<int32_t> starts, ends, start_rows, parents, next_siblings, previous_siblings, last_children, subtree_ends;
  std::vector<uint16_t> type_ids, field_ids;

  void resize(size_t size) {
    for (auto* array : {&starts, &ends, &start_rows, &parents, &next_siblings, &previous_siblings, &last_children, &subtree_ends})
      array->resize(size);
    type_ids.resize(size);
    field_ids.resize(size);
  }
};

// Offsets are UTF-16 code units, as JavaScript indexes the source string: the tree was parsed
// from UTF-16, so a byte offset is twice the index.
inline int32_t index_of(uint32_t byte) { return static_cast<int32_t>(byte / 2); }

// Pre-order walk of every visible node (named and anonymous, as TreeCursor visits them): the
// same entries flattenTree writes from web-tree-sitter's cursor.
size_t flatten(TSNode root, FlatArrays& a) {
  size_t capacity = static_cast<size_t>(ts_node_descendant_count(root)) + 1;
  a.resize(capacity);
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  size_t index = 0, count = 0;
  a.parents[0] = -1;
  a.previous_siblings[0] = -1;
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    a.type_ids[index] = ts_node_symbol(node);
    a.field_ids[index] = ts_tree_cursor_current_field_id(&cursor);
    a.starts[index] = index_of(ts_node_start_byte(node));
    a.ends[index] = index_of(ts_node_end_byte(node));
    a.start_rows[index] = static_cast<int32_t>(ts_node_start_point(node).row);
    a.next_siblings[index] = -1;
    a.last_children[index] = -1;
    count = index + 1;
    if (count == capacity) {
      capacity *= 2;
      a.resize(capacity);
    }
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      a.parents[count] = static_cast<int32_t>(index);
      a.previous_siblings[count] = -1;
      index = count;
      continue;
    }
    a.subtree_ends[index] = static_cast<int32_t>(count);
    // Climb until a node has a next sibling, closing each finished parent.
    size_t at = index;
    bool moved = false;
    while (at != 0) {
      if (ts_tree_cursor_goto_next_sibling(&cursor)) {
        moved = true;
        break;
      }
      size_t parent = static_cast<size_t>(a.parents[at]);
      a.last_children[parent] = static_cast<int32_t>(at);
      a.subtree_ends[parent] = static_cast<int32_t>(count);
      ts_tree_cursor_goto_parent(&cursor);
      at = parent;
    }
    if (!moved) break;
    a.next_siblings[at] = static_cast<int32_t>(count);
    a.previous_siblings[count] = static_cast<int32_t>(at);
    a.parents[count] = a.parents[at];
    index = count;
  }
  ts_tree_cursor_delete(&cursor);
  return count;
}

// The first ERROR or MISSING node in pre-order, looking only inside nodes that contain an error:
// "syntax error at line L, column C" (1-based; columns in UTF-16 code units), with ": missing X".
std::string describe_syntax_error(TSNode root) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  std::string message = "syntax error";
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    if (ts_node_is_error(node) || ts_node_is_missing(node)) {
      TSPoint point = ts_node_start_point(node);
      message = "syntax error at line " + std::to_string(point.row + 1) + ", column " + std::to_string(point.column / 2 + 1);
      if (ts_node_is_missing(node)) message += std::string(": missing ") + ts_node_type(node);
      break;
    }
    if (ts_node_has_error(node) && ts_tree_cursor_goto_first_child(&cursor)) continue;
    bool moved = false;
    while (!(moved = ts_tree_cursor_goto_next_sibling(&cursor))) {
      if (!ts_tree_cursor_goto_parent(&cursor)) break;
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&cursor);
  return message;
}

// Entries of scratch a thread keeps between files (~36 bytes each).
constexpr size_t kKeptCapacity = 1 << 20;

template <typename T>
size_t copy_array(uint8_t* out, const std::vector<T>& array, size_t count) {
  std::memcpy(out, array.data(), count * sizeof(T));
  return count * sizeof(T);
}

// parse(source: string) -> { count, buffer } (FlatTree arrays of `count` entries each) or, for a
// tree with syntax errors, the message string.
Napi::Value Parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "parse(source) takes a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t length = 0;
  napi_get_value_string_utf16(env, info[0], nullptr, 0, &length);
  std::vector<char16_t> text(length + 1);
  napi_get_value_string_utf16(env, info[0], text.data(), text.size(), &length);
  TSTree* tree = ts_parser_parse_string_encoding(the_parser(), nullptr, reinterpret_cast<const char*>(text.data()),
                                                 static_cast<uint32_t>(length * 2), TSInputEncodingUTF16LE);
  if (tree == nullptr) {
    Napi::Error::New(env, "tree-sitter returned no tree").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  TSNode root = ts_tree_root_node(tree);
  if (ts_node_has_error(root)) {
    std::string message = describe_syntax_error(root);
    ts_tree_delete(tree);
    return Napi::String::New(env, message);
  }
  // Scratch kept for the thread's next file, unless a huge one grew it (then freed after the copy).
  thread_local FlatArrays arrays;
  size_t count = flatten(root, arrays);
  ts_tree_delete(tree);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, count * (8 * 4 + 2 * 2));
  uint8_t* out = static_cast<uint8_t*>(buffer.Data());
  for (const auto* array : {&arrays.starts, &arrays.ends, &arrays.start_rows, &arrays.parents, &arrays.next_siblings,
                            &arrays.previous_siblings, &arrays.last_children, &arrays.subtree_ends})
    out += copy_array(out, *array, count);
  out += copy_array(out, arrays.type_ids, count);
  copy_array(out, arrays.field_ids, count);
  if (arrays.type_ids.size() > kKeptCapacity) arrays = FlatArrays();
  Napi::Object result = Napi::Object::New(env);
  result.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  result.Set("buffer", buffer);
  return result;
}

// grammar() -> { types, names, named, fields, version }: what web-tree-sitter's Language reads from
// the same grammar (types[id] for regular and anonymous symbols, names[id] for every symbol,
// fields[id] with fields[0] = null).
Napi::Value Grammar(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const TSLanguage* language = tree_sitter_python();
  uint32_t symbols = ts_language_symbol_count(language);
  Napi::Array types = Napi::Array::New(env, symbols);
  Napi::Array names = Napi::Array::New(env, symbols);
  Napi::Array named = Napi::Array::New(env, symbols);
  for (uint32_t id = 0; id < symbols; id++) {
    TSSymbolType type = ts_language_symbol_type(language, static_cast<TSSymbol>(id));
    if (type == TSSymbolTypeRegular || type == TSSymbolTypeAnonymous)
      types.Set(id, Napi::String::New(env, ts_language_symbol_name(language, static_cast<TSSymbol>(id))));
    names.Set(id, Napi::String::New(env, ts_language_symbol_name(language, static_cast<TSSymbol>(id))));
    named.Set(id, Napi::Boolean::New(env, type == TSSymbolTypeRegular));
  }
  uint32_t field_count = ts_language_field_count(language);
  Napi::Array fields = Napi::Array::New(env, field_count + 1);
  fields.Set(0u, env.Null());
  for (uint32_t id = 1; id <= field_count; id++) {
    const char* name = ts_language_field_name_for_id(language, static_cast<TSFieldId>(id));
    fields.Set(id, name == nullptr ? env.Null() : Napi::String::New(env, name));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("types", types);
  result.Set("names", names);
  result.Set("named", named);
  result.Set("fields", fields);
  result.Set("version", Napi::Number::New(env, ts_language_abi_version(language)));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("parse", Napi::Function::New(env, Parse));
  exports.Set("grammar", Napi::Function::New(env, Grammar));
  return exports;
}

}  // namespace

NODE_API_MODULE(pyagent_python, Init)
