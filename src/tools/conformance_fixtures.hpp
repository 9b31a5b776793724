#pragma once
// The `conformance` tool set: exactly the fixture tools, resources, prompts and completions the
// official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) calls, with
// the outputs its checks compare. Intended for a dedicated test endpoint without authentication.
//
// Session-era fixtures (2025-11-25): test_simple_text, test_image_content, test_audio_content,
// test_embedded_resource, test_multiple_content_types, test_tool_with_logging,
// test_tool_with_progress, test_error_handling, test_reconnection, test_sampling, test_elicitation,
// test_elicitation_sep1034_defaults, test_elicitation_sep1330_enums, json_schema_2020_12_tool;
// resources test://static-text, test://static-binary, test://template/{id}/data,
// test://watched-resource; prompts test_simple_prompt, test_prompt_with_arguments,
// test_prompt_with_embedded_resource, test_prompt_with_image.
//
// Stateless-era fixtures (2026-07-28 only): test_missing_capability, the
// test_input_required_result_* MRTR tools and prompt, test_streaming_elicitation,
// test_logging_tool, test_trigger_tool_change, test_trigger_prompt_change, test_header_param.

#include <string>

#include "mcp/registry.hpp"

namespace mcpgate::tools {

// Registers the fixtures. The trigger tools keep a pointer to `registry`, which must outlive them.
void register_conformance_fixtures(mcp::Registry& registry);

namespace conformance {

void register_session_tools(mcp::Registry& registry);
void register_stateless_tools(mcp::Registry& registry);
void register_resources_and_prompts(mcp::Registry& registry);

// {"type":"object","properties":{}}: the input schema of a tool without arguments.
nlohmann::json no_args_schema();

// A 1x1 red PNG and a short silent 8 kHz mono 16-bit WAV, built in code, base64-encoded.
const std::string& png_base64();
const std::string& wav_base64();

}  // namespace conformance

}  // namespace mcpgate::tools
