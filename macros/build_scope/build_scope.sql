{#- How every incremental model uses the build scope (doc `build_scope_design`).

    A model names its grain in its config (`scope_grain`) and reads each input through
    `scoped(relation, grain)`. In an incremental run both sides are restricted to the
    same rows of `int_build_scope`: the model recomputes exactly the rows in scope from
    inputs restricted to the scope, and the `build_scope` strategy deletes the rows in
    scope from the table and inserts the new ones, so rows that no longer exist go with
    the rest. On a full refresh (or a first build) nothing is restricted. -#}

{#- True in an incremental run of the model being built, which reads only part of its
    inputs: the rows in scope (a `build_scope` model), the raw rows landed since the last
    build (bronze). Never in a unit test, which renders the model whole from its given
    rows. -#}
{% macro is_scoped() -%}
    {{ return(this is not none and is_incremental()) }}
{%- endmacro %}

{#- True when a model of this build may replace only its rows in scope: a model of the
    `build_scope` strategy whose table exists and that this build does not refresh in
    full (dbt's rule: the model's `full_refresh` config, else the --full-refresh flag).
    False in a first build and a full refresh: every scoped table is rebuilt whole, no
    model reads the scope, and `int_build_scope` skips working it out. -#}
{% macro scope_is_read() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- set full_refresh = node.config.get('full_refresh') -%}
        {%- if node.resource_type == 'model' and node.config.get('incremental_strategy') == 'build_scope'
            and not (flags.FULL_REFRESH if full_refresh is none else full_refresh)
            and load_relation(greenstream.model_relation(node.name)) is not none -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- The conditions that put a row `alias` of a relation at `grain` in scope, as a list
    of SQL conditions whose union is the scope (disjoint, so that a union all of them
    repeats no row). Each starts with constant bounds read from the scope when the model
    runs, so that both engines skip the older part of a large table. Grains (the columns
    the row must have):
    - raw_reading: a raw row (meter_id, reading_at, _loaded_at) landed since the last
      complete build, or whose slot is at or after its meter's `changed_from`;
    - reading: a silver reading (meter_id, slot_start, _loaded_at), the same rows;
    - meter_slot: a slot (meter_id, slot_start) at or after `rebuild_slots_from`;
    - meter_slot_day: a meter-day (meter_id, local_date) on or after the local date of
      `rebuild_slots_from` (the days whose slots can change);
    - meter_day: a meter-day (meter_id, local_date) on or after `rebuild_days_from`;
    - neighbourhood_day: (neighbourhood, local_date) on or after the neighbourhood's
      `rebuild_days_from`;
    - fault_episode: an episode (meter_id, fault_type, started_at): a stuck or near-zero
      run from `rebuild_slots_from` (a run never crosses it), a mismatch day from
      `rebuild_days_from`;
    - batch: a file (its id in `batch_column`) in scope; with `loaded_at_column`, rows
      landed before the earliest file in scope are skipped first. -#}
{% macro build_scope_conditions(grain, alias, batch_column='_batch_id', loaded_at_column=none) -%}
    {%- set scope = ref('int_build_scope') -%}
    {%- set bounds = greenstream.build_scope_bounds() -%}
    {%- set meter_in_scope -%}
        select 1 from {{ scope }} as scope
        where scope.scope_grain = 'meter' and scope.meter_id = {{ alias }}.meter_id
    {%- endset -%}
    {%- if grain in ('raw_reading', 'reading') -%}
        {%- set new_rows = alias ~ '._loaded_at > ' ~ greenstream.loaded_through() -%}
        {#- a raw row's slot is at or after t when the row is at most half a slot before t -#}
        {%- set slot_column = alias ~ ('.reading_at' if grain == 'raw_reading' else '.slot_start') -%}
        {%- set shift = (' - interval \'' ~ (greenstream.slot_length_us() // 2) ~ ' microseconds\'')
            if grain == 'raw_reading' else '' -%}
        {%- set conditions = [
            new_rows,
            'not (' ~ new_rows ~ ') and ' ~ slot_column ~ ' >= ' ~ bounds.changed_from ~ shift
            ~ ' and exists (' ~ meter_in_scope ~ ' and ' ~ slot_column ~ ' >= scope.changed_from' ~ shift ~ ')',
        ] -%}
    {%- elif grain == 'meter_slot' -%}
        {%- set conditions = [
            alias ~ '.slot_start >= ' ~ bounds.rebuild_slots_from
            ~ ' and exists (' ~ meter_in_scope ~ ' and ' ~ alias ~ '.slot_start >= scope.rebuild_slots_from)',
        ] -%}
    {%- elif grain in ('meter_slot_day', 'meter_day') -%}
        {%- set column = 'rebuild_slots_from_date' if grain == 'meter_slot_day' else 'rebuild_days_from' -%}
        {%- set conditions = [
            alias ~ '.local_date >= ' ~ bounds[column]
            ~ ' and exists (' ~ meter_in_scope ~ ' and ' ~ alias ~ '.local_date >= scope.' ~ column ~ ')',
        ] -%}
    {%- elif grain == 'neighbourhood_day' -%}
        {%- set conditions = [
            alias ~ '.local_date >= ' ~ bounds.rebuild_days_from ~ ' and exists ('
            ~ 'select 1 from ' ~ scope ~ ' as scope where scope.scope_grain = \'neighbourhood\''
            ~ ' and scope.neighbourhood = ' ~ alias ~ '.neighbourhood'
            ~ ' and ' ~ alias ~ '.local_date >= scope.rebuild_days_from)',
        ] -%}
    {%- elif grain == 'fault_episode' -%}
        {%- set conditions = [
            'exists (' ~ meter_in_scope ~ ' and ((' ~ alias ~ '.fault_type <> \'neighbour_mismatch\''
            ~ ' and ' ~ alias ~ '.started_at >= scope.rebuild_slots_from) or ('
            ~ alias ~ '.fault_type = \'neighbour_mismatch\' and ' ~ alias ~ '.started_at >= '
            ~ greenstream.utc_instant_of_local_midnight('scope.rebuild_days_from') ~ ')))',
        ] -%}
    {%- elif grain == 'batch' -%}
        {%- set batch_in_scope = 'exists (select 1 from ' ~ scope ~ ' as scope'
            ~ ' where scope.scope_grain = \'batch\' and scope.batch_id = ' ~ alias ~ '.' ~ batch_column ~ ')' -%}
        {%- if loaded_at_column -%}
            {%- set batch_in_scope = alias ~ '.' ~ loaded_at_column ~ ' >= ' ~ bounds.batch_loaded_at
                ~ ' and ' ~ batch_in_scope -%}
        {%- endif -%}
        {%- set conditions = [batch_in_scope] -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error('build_scope_conditions: unknown grain ' ~ grain) }}
    {%- endif -%}
    {{ return(conditions) }}
{%- endmacro %}

{#- The earliest value of each bound in the scope, as SQL literals read when the model
    runs (the end of time when nothing of a kind is in scope): constant filters that a
    scan can use to skip what is older. -#}
{% macro build_scope_bounds() -%}
    {%- set columns = {
        'changed_from': greenstream.type_timestamptz(),
        'rebuild_slots_from': greenstream.type_timestamptz(),
        'rebuild_slots_from_date': 'date',
        'rebuild_days_from': 'date',
        'batch_loaded_at': greenstream.type_timestamptz(),
    } -%}
    {%- set bounds = {} -%}
    {%- set execute = execute and load_relation(ref('int_build_scope')) is not none -%}
    {%- if execute -%}
        {%- set query -%}
            select
            {%- for column in columns %}
                cast(min({{ column }}) as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
            from {{ ref('int_build_scope') }}
        {%- endset -%}
        {%- set row = run_query(query).rows[0] -%}
    {%- endif -%}
    {%- for column, type in columns.items() -%}
        {%- set value = row[column] if execute else none -%}
        {%- set literal = value if value else ('9999-12-31' if type == 'date' else '9999-12-31 00:00:00+00') -%}
        {%- do bounds.update({column: "cast('" ~ literal ~ "' as " ~ type ~ ")"}) -%}
    {%- endfor -%}
    {{ return(bounds) }}
{%- endmacro %}

{#- The rows of `relation` (a relation or a CTE's name) in scope at `grain`, as an aliased
    subquery (the whole relation when the model is not scoped: a full refresh or a first
    build). Write it after `from` with no alias of its own. -#}
{% macro scoped(relation, grain, batch_column='_batch_id', loaded_at_column=none) -%}
    {#- the ref, also when unused, makes every scoped model depend on the scope (a unit
        test renders the model with its own inputs: no scope) -#}
    {%- if model.resource_type != 'unit_test' -%}
        {%- set scope = ref('int_build_scope') -%}
    {%- endif -%}
    {%- if not greenstream.is_scoped() -%}
        {{ return(relation) }}
    {%- endif -%}
    (
    {%- for condition in greenstream.build_scope_conditions(grain, 'scoped_rows', batch_column, loaded_at_column) %}
        {{ 'union all' if not loop.first }}
        select * from {{ relation }} as scoped_rows where {{ condition }}
    {%- endfor %}
    ) as rows_in_scope
{%- endmacro %}

{#- The incremental strategy of every scoped model (`incremental_strategy='build_scope'`;
    the grain in the config `scope_grain`, a list for a table that holds two grains):
    delete the rows in scope, insert the rows the model computed, in the transaction of
    the incremental materialisation on DuckDB and PostgreSQL (Spark: `spark_incremental`). -#}
{% macro get_incremental_build_scope_sql(arg_dict) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | list -%}
    {{ greenstream.build_scope_statements(arg_dict['target_relation'], arg_dict['temp_relation'], columns) | join(';\n') }}
{%- endmacro %}

{#- The statements of the `build_scope` strategy, in order: one delete per condition of
    the model's grains, then the insert of the computed rows (`columns`: quoted names). -#}
{% macro build_scope_statements(target, temp_relation, columns) -%}
    {%- set grains = config.require('scope_grain') -%}
    {%- set grains = [grains] if grains is string else grains -%}
    {%- set statements = [] -%}
    {%- for grain in grains -%}
        {%- for condition in greenstream.build_scope_conditions(
            grain, 'target_rows', config.get('batch_column', '_batch_id'), config.get('loaded_at_column')
        ) -%}
            {%- do statements.append('delete from ' ~ target ~ ' as target_rows where ' ~ condition) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do statements.append('insert into ' ~ target ~ ' (' ~ columns | join(', ') ~ ')'
        ~ ' select ' ~ columns | join(', ') ~ ' from ' ~ temp_relation) -%}
    {{ return(statements) }}
{%- endmacro %}

{#- The earliest value of a bound of the scope (`changed_from`, `rebuild_slots_from`,
    `rebuild_slots_from_date`, `rebuild_days_from`) as a literal, or the beginning of time
    when the model is not scoped: a constant filter for inputs read beyond the scope. -#}
{% macro scope_start(bound) -%}
    {%- if greenstream.is_scoped() -%}
        {{ return(greenstream.build_scope_bounds()[bound]) }}
    {%- endif -%}
    {{ return("cast('0001-01-01' as date)" if bound.endswith('date') or bound == 'rebuild_days_from'
        else greenstream.the_beginning()) }}
{%- endmacro %}
